// Domain errors the REST layer maps to HTTP statuses and the CLI to messages.
export class NotFoundError extends Error {}
export class ConflictError extends Error {}
export class BadRequestError extends Error {}
