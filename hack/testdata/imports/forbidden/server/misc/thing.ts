// In no layer: a new folder must be placed in the layering first.
export const thing = 1;
