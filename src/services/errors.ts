// Domain errors the REST layer maps to HTTP statuses and the CLI to messages.
export class NotFoundError extends Error {}
/** A list or domain that does not exist: the CLI names it, Mailman's REST API says only "404 Not Found". */
export class NoSuchObjectError extends NotFoundError {}
export class ConflictError extends Error {}
export class BadRequestError extends Error {}
