export class BuildStore {
  readonly size = 0;
}
