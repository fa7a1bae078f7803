export interface LogHub {
  append(line: string): void;
}
