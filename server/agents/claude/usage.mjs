/**
 * Claude Code's usage and cost figures (from its stream-json result line) as the panel's Usage.
 * Plain Node ESM, no dependencies; the figures are agent data: negative, non-numeric or absent
 * values count as 0 (a cost is then left out).
 *
 * In a result line (claude 2.1.328):
 *   usage                         this invocation: input_tokens (uncached), cache_creation_input_tokens,
 *                                 cache_read_input_tokens, output_tokens
 *   model_usage_since_last_result this invocation per model, camelCase, with costUSD
 *   modelUsage                    the whole session so far per model (a --resume adds to it)
 *   total_cost_usd                the whole session so far (claude prices the tokens itself)
 */

/**
 * @typedef {import("../types").Usage} Usage
 */

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** @param {unknown} v */
const num = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Claude Code's usage figures as the panel's Usage (see server/agents/types.ts ParsedLine for how cache tokens map).
 * @param {unknown} u the `usage` object of a result line
 * @param {unknown} [cost] its `total_cost_usd`
 * @returns {Usage}
 */
export function claudeUsage(u, cost) {
  const o = isObject(u) ? u : {};
  const cacheRead = num(o.cache_read_input_tokens);
  /** @type {Usage} */
  const usage = {
    inputTokens: num(o.input_tokens) + num(o.cache_creation_input_tokens) + cacheRead,
    cachedInputTokens: cacheRead,
    outputTokens: num(o.output_tokens),
  };
  if (typeof cost === "number" && Number.isFinite(cost) && cost >= 0) usage.costUsd = cost;
  return usage;
}

/** @param {unknown} cost @returns {number | undefined} */
const costOf = (cost) => (typeof cost === "number" && Number.isFinite(cost) && cost >= 0 ? cost : undefined);

/**
 * Sum of a `modelUsage` map ({<model>: {inputTokens, cacheReadInputTokens,
 * cacheCreationInputTokens, outputTokens, costUSD}}), or undefined when it has no model.
 * @param {unknown} mu @returns {Usage | undefined}
 */
function sumModelUsage(mu) {
  if (!isObject(mu)) return undefined;
  const models = Object.values(mu).filter(isObject).slice(0, 50);
  if (!models.length) return undefined;
  /** @type {Usage} */
  const u = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  let cost = 0;
  let costs = 0;
  for (const m of models) {
    u.inputTokens += num(m.inputTokens) + num(m.cacheCreationInputTokens) + num(m.cacheReadInputTokens);
    u.cachedInputTokens += num(m.cacheReadInputTokens);
    u.outputTokens += num(m.outputTokens);
    const c = costOf(m.costUSD);
    if (c !== undefined) {
      cost += c;
      costs++;
    }
  }
  if (costs) u.costUsd = cost;
  return u;
}

/**
 * Usage from a result line, two ways:
 *  - session: the running total of the session, like codex's thread total (the supervisor keeps
 *    the latest): `modelUsage` summed, cost `total_cost_usd`. On a --resume both count every
 *    turn of the session so far (checked with 2.1.328: after two turns of $0.0012 each,
 *    total_cost_usd is 0.0025);
 *  - turn: this invocation alone: `model_usage_since_last_result`, else `usage` (which is
 *    per invocation; its cost is not given, so it is taken from the per-model figures).
 * @param {Record<string, any>} r
 * @returns {{session: Usage, turn: Usage}}
 */
export function resultUsage(r) {
  const perTurn = sumModelUsage(r.model_usage_since_last_result);
  const turn = perTurn ?? claudeUsage(r.usage);
  const total = sumModelUsage(r.modelUsage);
  const session = total ? { ...total } : { ...claudeUsage(r.usage) };
  const cost = costOf(r.total_cost_usd);
  if (cost !== undefined) session.costUsd = cost;
  else delete session.costUsd;
  if (!perTurn && total === undefined && cost !== undefined) turn.costUsd = cost;
  return { session, turn };
}

/** "Turn completed: 115 in (10 cached), 20 out, $0.0006" @param {Usage} u */
export function usageText(u) {
  const cost = u.costUsd === undefined ? "" : `, $${u.costUsd.toFixed(4)}`;
  return `Turn completed: ${u.inputTokens} in (${u.cachedInputTokens} cached), ${u.outputTokens} out${cost}`;
}
