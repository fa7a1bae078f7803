/** A worker's failure to start, in words, from the OS error it got. */
export function describeSpawnError(error: Error, file: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return `command not found: ${file}`;
    case "EACCES":
      return `permission denied: ${file}`;
    case "ENOEXEC":
      return `not an executable: ${file}`;
    case "E2BIG":
      return "arguments and environment too large";
    case "EAGAIN":
    case "EMFILE":
    case "ENFILE":
    case "ENOMEM":
      return `out of system resources (${code})`;
    default:
      return `could not start ${file}: ${error.message}`;
  }
}
