import type { DiffFileOut } from "./types";

export interface FolderRow {
  kind: "folder";
  /** The folder path ("src/components"); chains of single-child folders are merged into one row. */
  path: string;
  name: string;
  depth: number;
  files: number;
  additions: number;
  deletions: number;
  collapsed: boolean;
}

export interface FileRow {
  kind: "file";
  path: string;
  name: string;
  depth: number;
  file: DiffFileOut;
  /** Position of the file in `order` (the tree's reading order). */
  index: number;
}

export type TreeRow = FolderRow | FileRow;

interface Node {
  name: string;
  path: string;
  folders: Map<string, Node>;
  files: DiffFileOut[];
  count: number;
  additions: number;
  deletions: number;
}

const newNode = (name: string, path: string): Node => ({ name, path, folders: new Map(), files: [], count: 0, additions: 0, deletions: 0 });
/** Natural order ("file-9" before "file-10"), ties broken by code points so the order is total. */
const collator = new Intl.Collator("en", { numeric: true, sensitivity: "variant" });
const byName = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

function buildNodes(files: readonly DiffFileOut[]): Node {
  const root = newNode("", "");
  for (const file of files) {
    const parts = file.path.split("/");
    parts.pop();
    let node = root;
    node.count++;
    node.additions += file.additions;
    node.deletions += file.deletions;
    let path = "";
    for (const part of parts) {
      path = path ? `${path}/${part}` : part;
      let next = node.folders.get(part);
      if (!next) {
        next = newNode(part, path);
        node.folders.set(part, next);
      }
      node = next;
      node.count++;
      node.additions += file.additions;
      node.deletions += file.deletions;
    }
    node.files.push(file);
  }
  return root;
}

/** Files in the tree's reading order (folders first, then files, by name): the order j/k walks. */
export function treeOrder(files: readonly DiffFileOut[]): DiffFileOut[] {
  const out: DiffFileOut[] = [];
  const walk = (node: Node) => {
    for (const key of [...node.folders.keys()].sort(byName)) walk(node.folders.get(key)!);
    out.push(...[...node.files].sort((a, b) => byName(a.path, b.path)));
  };
  walk(buildNodes(files));
  return out;
}

/**
 * The visible rows of the file tree: folders (single-child chains merged: "src/app/_lib") with
 * their totals, then their files. Rows inside a collapsed folder are left out.
 */
export function treeRows(order: readonly DiffFileOut[], collapsed: ReadonlySet<string>): TreeRow[] {
  const index = new Map(order.map((f, i) => [f.path, i]));
  const rows: TreeRow[] = [];
  const walk = (node: Node, depth: number) => {
    for (const key of [...node.folders.keys()].sort(byName)) {
      let child = node.folders.get(key)!;
      let name = child.name;
      // Merge a folder that holds exactly one folder and no files into its child.
      while (child.files.length === 0 && child.folders.size === 1) {
        const only = [...child.folders.values()][0]!;
        name = `${name}/${only.name}`;
        child = only;
      }
      const isCollapsed = collapsed.has(child.path);
      rows.push({
        kind: "folder", path: child.path, name, depth, files: child.count, additions: child.additions, deletions: child.deletions, collapsed: isCollapsed,
      });
      if (!isCollapsed) walk(child, depth + 1);
    }
    for (const file of [...node.files].sort((a, b) => byName(a.path, b.path))) {
      rows.push({ kind: "file", path: file.path, name: file.path.slice(file.path.lastIndexOf("/") + 1), depth, file, index: index.get(file.path) ?? -1 });
    }
  };
  walk(buildNodes(order), 0);
  return rows;
}

/** Every folder that contains `path` (so a selected file can be revealed). */
export function ancestorsOf(path: string): string[] {
  const parts = path.split("/");
  parts.pop();
  const out: string[] = [];
  let p = "";
  for (const part of parts) {
    p = p ? `${p}/${part}` : part;
    out.push(p);
  }
  return out;
}
