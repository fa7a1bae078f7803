export interface App {
  name: string;
}
