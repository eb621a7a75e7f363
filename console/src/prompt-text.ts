/** The input fields a mustache template reads, in order of first use (the server's own answer is PromptVersion.variables). */
export function detectVariables(...templates: string[]): string[] {
  const found = new Set<string>();
  for (const template of templates) {
    for (const match of template.matchAll(/\{\{\{?\s*([#^&]?)\s*([\w.-]+)\s*\}?\}\}/g)) found.add(match[2]!.split('.')[0]!);
  }
  return [...found];
}

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** A line diff by longest common subsequence: prompts are short, so the quadratic table is fine. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) lines.push({ kind: 'same', text: a[i++]! }), j++;
    else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) lines.push({ kind: 'added', text: b[j++]! });
    else lines.push({ kind: 'removed', text: a[i++]! });
  }
  return lines;
}
