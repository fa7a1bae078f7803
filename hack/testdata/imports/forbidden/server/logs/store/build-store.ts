export interface BuildStore {
  size: number;
}
