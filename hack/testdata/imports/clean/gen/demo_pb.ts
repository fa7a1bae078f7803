export const demoVersion = "v1";
