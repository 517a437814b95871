/**
 * A content problem found while loading knowledge/. Every loader collects all of them before
 * failing, so a staff member sees every mistake at once, with the file, the entry and the fix.
 */
export interface Problem {
  /** Path relative to the knowledge folder, e.g. "topics/conditions/sciatica.md". */
  file: string;
  /** Entry id, message key or rule id, when the problem belongs to one. */
  entry?: string;
  /** What is wrong, in plain words. */
  message: string;
  /** How to fix it, in plain words. */
  fix: string;
  /** Warnings are reported but do not stop the bot (for example a reading-level outlier). */
  severity?: 'error' | 'warning';
}

export class ContentError extends Error {
  readonly code = 'CONTENT_INVALID';
  constructor(readonly problems: readonly Problem[]) {
    super(`${problems.length} problem(s) in knowledge/:\n${formatProblems(problems)}`);
    this.name = 'ContentError';
  }
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((p) => {
      const where = p.entry ? `${p.file} [${p.entry}]` : p.file;
      const tag = p.severity === 'warning' ? 'warning' : 'error';
      return `  ${tag}: ${where}: ${p.message}\n    fix: ${p.fix}`;
    })
    .join('\n');
}
