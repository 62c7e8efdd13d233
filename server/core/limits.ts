/**
 * Limits on what one caller can make the server do (ARCHITECTURE.md §6 "Limits"). A module with no
 * imports: the server and the browser bundle share these numbers.
 */

/** Procedures in one tRPC batch request (the client batches at most this many too). */
export const MAX_BATCH = 16;

/** Live events buffered for one slow subscriber before it is re-synced from the database instead. */
export const MAX_BUFFERED_EVENTS = 2000;

/** Expensive queries (overlap, doctor, full diffs) a viewer session may have under way at once. */
export const VIEWER_EXPENSIVE_CONCURRENCY = 2;
