/**
 * Syntax highlighting without HTML injection: highlight.js turns one line into its (escaped)
 * HTML, which is read back here into plain {text, className} tokens that React renders as text.
 * Nothing from a diff ever reaches innerHTML.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import latex from "highlight.js/lib/languages/latex";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import r from "highlight.js/lib/languages/r";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, css, diff, go, ini, java, javascript, json, latex, markdown, python, r, ruby, rust, sql, typescript, xml, yaml };
for (const [name, fn] of Object.entries(LANGUAGES)) if (!hljs.getLanguage(name)) hljs.registerLanguage(name, fn);

const BY_EXTENSION: Record<string, string> = {
  ts: "typescript", tsx: "typescript", mts: "typescript", cts: "typescript",
  js: "javascript", jsx: "javascript", mjs: "javascript", cjs: "javascript",
  json: "json", jsonl: "json", json5: "json",
  py: "python", pyi: "python",
  md: "markdown", markdown: "markdown", mdx: "markdown", qmd: "markdown", rmd: "markdown",
  tex: "latex", sty: "latex", cls: "latex", bib: "latex",
  r: "r",
  sh: "bash", bash: "bash", zsh: "bash",
  yml: "yaml", yaml: "yaml",
  toml: "ini", ini: "ini", cfg: "ini", conf: "ini",
  html: "xml", htm: "xml", xml: "xml", svg: "xml",
  css: "css", scss: "css",
  go: "go", rs: "rust", java: "java", rb: "ruby", sql: "sql",
  c: "c", h: "c", cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp",
  diff: "diff", patch: "diff",
};
const BY_NAME: Record<string, string> = { Makefile: "bash", Dockerfile: "bash", ".bashrc": "bash", ".zshrc": "bash" };

/** The highlight.js language for a path, or undefined (plain text). */
export function languageFor(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

export interface Token {
  text: string;
  /** highlight.js scope classes ("hljs-keyword"), joined for a nested scope. */
  className?: string;
}

const ENTITY: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITY[body.toLowerCase()] ?? whole;
  });
}

/**
 * highlight.js output is escaped text and `<span class="…">` / `</span>` only; read it back into
 * tokens. Anything else (which highlight.js never produces) makes the caller fall back to plain text.
 */
export function tokensFromHighlightHtml(html: string): Token[] | undefined {
  const tokens: Token[] = [];
  const stack: string[] = [];
  const re = /<span class="([^"<>]*)">|<\/span>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(html)) !== null) {
    last = re.lastIndex;
    if (m[1] !== undefined) stack.push(m[1]);
    else if (m[2] !== undefined) {
      const text = decodeEntities(m[2]);
      const className = stack.length ? stack.join(" ") : undefined;
      const prev = tokens[tokens.length - 1];
      if (prev && prev.className === className) prev.text += text;
      else tokens.push(className ? { text, className } : { text });
    } else if (stack.length) stack.pop();
    else return undefined;
  }
  return last === html.length ? tokens : undefined;
}

const MAX_HIGHLIGHT_CHARS = 2000;
const CACHE_LIMIT = 5000;
const cache = new Map<string, Token[]>();

/** One line as tokens (cached). Long lines and unknown languages come back as one plain token. */
export function highlightLine(text: string, language: string | undefined): Token[] {
  if (!language || text.length === 0 || text.length > MAX_HIGHLIGHT_CHARS) return [{ text }];
  const key = `${language}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let tokens: Token[] = [{ text }];
  try {
    const html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
    const parsed = tokensFromHighlightHtml(html);
    if (parsed && parsed.map((t) => t.text).join("") === text) tokens = parsed;
  } catch {
    /* plain text */
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, tokens);
  return tokens;
}

/** A character range [start, end) of a line that changed (word-level). */
export interface Range {
  start: number;
  end: number;
}

export interface Segment extends Token {
  /** Part of a changed word range. */
  changed?: boolean;
}

/** Split tokens at the range boundaries, flagging the parts inside a range. */
export function applyRanges(tokens: readonly Token[], ranges: readonly Range[]): Segment[] {
  if (ranges.length === 0) return tokens as Segment[];
  const out: Segment[] = [];
  let pos = 0;
  let ri = 0;
  for (const token of tokens) {
    let offset = 0;
    while (offset < token.text.length) {
      const at = pos + offset;
      while (ri < ranges.length && ranges[ri]!.end <= at) ri++;
      const range = ranges[ri];
      const inside = range !== undefined && range.start <= at;
      const boundary = range === undefined ? token.text.length : inside ? range.end - pos : range.start - pos;
      const end = Math.min(token.text.length, Math.max(boundary, offset + 1));
      const text = token.text.slice(offset, end);
      const seg: Segment = token.className ? { text, className: token.className } : { text };
      if (inside) seg.changed = true;
      out.push(seg);
      offset = end;
    }
    pos += token.text.length;
  }
  return out;
}
