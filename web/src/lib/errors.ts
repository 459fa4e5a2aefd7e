/**
 * The API's failures, in a leaf module that imports nothing: the sync types and the pure chat
 * state depend on them without pulling in fetch and the DOM.
 */

/** The server answered with a 4xx or 5xx and an error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A 4xx that retrying will not fix (408, 425 and 429 are worth retrying). */
  get fatal(): boolean {
    return this.status >= 400 && this.status < 500 && ![408, 425, 429].includes(this.status);
  }
}

/** The server could not be reached (or a gateway in front of it said so). */
export class NetworkError extends Error {
  constructor(message = "Can't reach the server") {
    super(message);
    this.name = 'NetworkError';
  }
}
