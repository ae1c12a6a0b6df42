/**
 * One field that failed validation: where it is (a JSON path), what is wrong with it in English, and
 * the same as a stable snake_case `reason` (with its `limit`, for sizes) that clients translate.
 */
export interface FieldError {
  path: string;
  message: string;
  reason?: string;
  limit?: number;
}

/**
 * The one error type the API speaks. `code` is a stable, machine-readable snake_case string that
 * clients may branch on; it is never renamed. Rendered as application/problem+json (RFC 9457).
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, detail: string, errors?: FieldError[]) => new AppError(400, code, detail, errors);
export const unauthenticated = (detail = 'Sign in first: send "Authorization: Bearer <token>".') => new AppError(401, 'unauthenticated', detail);
export const forbidden = (detail = 'Your account may not do this.') => new AppError(403, 'forbidden', detail);
/** Also used for records that exist but are not the caller's: their existence is not revealed. */
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found.`);
export const conflict = (code: string, detail: string) => new AppError(409, code, detail);
export const unprocessable = (code: string, detail: string) => new AppError(422, code, detail);
