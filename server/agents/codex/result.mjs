/**
 * Where codex's final answer is, for the finish step (worker-finish.mjs, outside the sandbox):
 * the `-o` last-message file in the worker's outbox. Plain Node ESM, no dependencies.
 * The caller reads the files (no symlinks, size-capped) and hands over their bytes.
 */

/**
 * @param {{lastMessage?: Uint8Array, lastMessageProblem?: string, events?: Uint8Array}} files
 * @returns {{output?: Uint8Array, problem?: string}} the agent's final message (to be parsed as the result), or why there is none
 */
export function agentOutput(files) {
  if (files.lastMessageProblem) return { problem: files.lastMessageProblem };
  return { output: files.lastMessage };
}
