/**
 * Where the command agent's final answer is, for the finish step (worker-finish.mjs, outside the
 * sandbox): the file it was told to write ($LONGTABLE_RESULT_FILE, the worker's outbox
 * last-message file). Plain Node ESM, no dependencies; the caller reads the file as data.
 */

/**
 * @param {{lastMessage?: Uint8Array, lastMessageProblem?: string, events?: Uint8Array}} files
 * @returns {{output?: Uint8Array, problem?: string}}
 */
export function agentOutput(files) {
  if (files.lastMessageProblem) return { problem: files.lastMessageProblem };
  if (files.lastMessage === undefined) return { problem: "the agent command wrote no result file ($LONGTABLE_RESULT_FILE)" };
  return { output: files.lastMessage };
}
