/**
 * Panel synthesis: members side by side, objections and open questions grouped across roles,
 * and disagreements marked (same topic, opposite stance) by simple text overlap. Pure.
 */
export interface MemberInput {
  workerId: string;
  role: string;
  label: string;
  status: string;
  summary: string;
  claims: string[];
  objections: string[];
  openQuestions: string[];
  evidenceRefs: string[];
  error?: string;
}

export interface GroupItem {
  workerId: string;
  role: string;
  label: string;
  text: string;
}

export interface Group {
  topic: string;
  items: GroupItem[];
  roles: string[];
}

export interface Disagreement {
  topic: string;
  a: GroupItem & { stance: "for" | "against" };
  b: GroupItem & { stance: "for" | "against" };
  overlap: number;
}

const STOP = new Set("a an the and or but of to in on for with by is are was were be been this that these those it its as at from not no than then there their they we our you your can could should would may might will does do did has have had into about over more most less very also such only any all each which who whom whose what when where why how".split(" "));
const NEGATIVE = /\b(not|no|never|lacks?|lacking|fails?|failed|insufficient|unclear|weak|wrong|missing|unsupported|doesn't|isn't|aren't|cannot|can't|overclaims?|flawed|inadequate|without)\b/i;

export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").match(/[a-z0-9]+/g) ?? [];
  return new Set(words.filter((w) => w.length > 2 && !STOP.has(w)).map((w) => w.replace(/(ies|es|s)$/, (m) => (m === "ies" ? "y" : ""))));
}

export function overlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let inter = 0;
  for (const w of a) if (b.has(w)) inter++;
  return inter / Math.min(a.size, b.size);
}

const GROUP_THRESHOLD = 0.5;
const TOPIC_THRESHOLD = 0.4;

function groupItems(items: GroupItem[]): Group[] {
  const groups: Array<{ words: Set<string>; group: Group }> = [];
  for (const item of items) {
    const words = contentWords(item.text);
    let best: { words: Set<string>; group: Group } | undefined;
    let bestScore = 0;
    for (const g of groups) {
      const score = overlap(words, g.words);
      if (score > bestScore) {
        best = g;
        bestScore = score;
      }
    }
    if (best && bestScore >= GROUP_THRESHOLD) {
      best.group.items.push(item);
      if (!best.group.roles.includes(item.role)) best.group.roles.push(item.role);
      for (const w of words) best.words.add(w);
    } else {
      groups.push({ words, group: { topic: item.text, items: [item], roles: [item.role] } });
    }
  }
  return groups.map((g) => g.group).sort((a, b) => b.roles.length - a.roles.length || b.items.length - a.items.length);
}

export function synthesize(members: readonly MemberInput[]) {
  const flat = (key: "objections" | "openQuestions" | "claims") =>
    members.flatMap((m) => m[key].map((text) => ({ workerId: m.workerId, role: m.role, label: m.label, text })));
  const claims = flat("claims");
  const objections = flat("objections");
  const stance = (item: GroupItem, fromObjections: boolean): "for" | "against" => (fromObjections || NEGATIVE.test(item.text) ? "against" : "for");
  const stated = [...claims.map((c) => ({ ...c, stance: stance(c, false) })), ...objections.map((o) => ({ ...o, stance: stance(o, true) }))];
  const disagreements: Disagreement[] = [];
  for (let i = 0; i < stated.length; i++) {
    for (let j = i + 1; j < stated.length; j++) {
      const a = stated[i]!;
      const b = stated[j]!;
      if (a.workerId === b.workerId || a.stance === b.stance) continue;
      const score = overlap(contentWords(a.text), contentWords(b.text));
      if (score >= TOPIC_THRESHOLD) disagreements.push({ topic: a.stance === "for" ? a.text : b.text, a, b, overlap: Math.round(score * 100) / 100 });
    }
  }
  return {
    members,
    objectionGroups: groupItems(objections),
    questionGroups: groupItems(flat("openQuestions")),
    disagreements: disagreements.sort((x, y) => y.overlap - x.overlap),
  };
}

export type Synthesis = ReturnType<typeof synthesize>;

const bullet = (items: readonly string[]) => (items.length ? items.map((i) => `- ${i.replace(/\n+/g, " ")}`).join("\n") : "_none_");

export function synthesisMarkdown(run: { id: string; prompt: string; mode: string; status: string }, s: Synthesis): string {
  const out: string[] = [`# Panel run ${run.id}`, "", `- Mode: ${run.mode}`, `- Status: ${run.status}`, "", "## Prompt", "", run.prompt, ""];
  out.push("## Across the panel", "");
  out.push("### Objections", "");
  out.push(s.objectionGroups.length ? s.objectionGroups.map((g) => `- ${g.topic} _(${g.items.map((i) => i.label).join(", ")})_`).join("\n") : "_none_", "");
  out.push("### Open questions", "");
  out.push(s.questionGroups.length ? s.questionGroups.map((g) => `- ${g.topic} _(${g.items.map((i) => i.label).join(", ")})_`).join("\n") : "_none_", "");
  out.push("### Disagreements", "");
  out.push(s.disagreements.length ? s.disagreements.map((d) => `- **${d.a.label}** (${d.a.stance}): ${d.a.text}\n  **${d.b.label}** (${d.b.stance}): ${d.b.text}`).join("\n") : "_none_", "");
  for (const m of s.members) {
    out.push(`## ${m.label} (${m.role}) — ${m.status}`, "", m.summary || "_no summary_", "");
    out.push("**Claims**", "", bullet(m.claims), "", "**Objections**", "", bullet(m.objections), "", "**Open questions**", "", bullet(m.openQuestions), "", "**Evidence**", "", bullet(m.evidenceRefs), "");
    if (m.error) out.push(`**Error:** ${m.error}`, "");
  }
  return out.join("\n");
}
