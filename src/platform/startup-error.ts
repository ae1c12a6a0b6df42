/**
 * Something about the machine or its settings stops the service or the CLI from starting (a busy port,
 * a database that does not exist or cannot be reached, a data folder it may not write): the operator
 * fixes it, so it is printed as it is, without a stack, saying what failed, where, and what to do.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Why a file or folder could not be created or opened, for the codes an operator can fix; undefined for others (mkdir says EEXIST when a file has the folder's name). */
export function fileSystemReason(error: unknown): string | undefined {
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a part of the path is a file, not a folder',
    ENOSPC: 'no space left on the device',
    SQLITE_CANTOPEN: 'it cannot be opened',
  };
  return reasons[(error as { code?: string } | undefined)?.code ?? ''];
}
