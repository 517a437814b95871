/**
 * YAML problems in plain words for the staff who edit knowledge/: what is wrong, on which line
 * (with the line itself), and how to fix it. Two kinds:
 *
 * - the file is not valid YAML (a colon inside a value, a tab, a missing quote...): the parser's
 *   error code is turned into a sentence and a fix;
 * - the YAML is valid but a value has the wrong kind: most often an unquoted phone number that
 *   YAML reads as a number (and drops its leading 0), or `yes`/`no` read as true/false.
 */
import { isNode, LineCounter, parseDocument, YAMLParseError, type Document } from 'yaml';

export interface YamlProblem {
  line?: number;
  message: string;
  fix: string;
}

const EXPLAIN: Record<string, { message: string; fix: string }> = {
  BLOCK_AS_IMPLICIT_KEY: {
    message: 'a value contains a colon followed by a space (":"), or a line is indented more than the one above it',
    fix: 'put the whole value in "double quotes", or line this line up with the lines around it',
  },
  MULTILINE_IMPLICIT_KEY: {
    message: 'a line has text but no "name:" in front of it (or a long value was broken onto a new line)',
    fix: 'start the line with its field name and a colon, or, for a long text, write ">-" after the colon and indent the text on the lines below',
  },
  DUPLICATE_KEY: {
    message: 'the same field name appears twice in one block',
    fix: 'keep one of the two lines and delete the other',
  },
  TAB_AS_INDENT: {
    message: 'a line is indented with a tab',
    fix: 'indent with spaces only (two spaces per level)',
  },
  MISSING_CHAR: {
    message: 'a quote or bracket is opened but never closed',
    fix: 'add the closing quote (") or bracket (]) at the end of the value',
  },
  BAD_INDENT: {
    message: 'the indentation is wrong, or a list in [square brackets] is not closed',
    fix: 'line the entry up with its neighbours (spaces only), and close any [ with ]',
  },
  BAD_SCALAR_START: {
    message: 'a value starts with a character YAML reserves (such as @, `, %, * or &)',
    fix: 'put the whole value in "double quotes"',
  },
  UNEXPECTED_TOKEN: {
    message: 'a line does not fit the block it is in (a list item next to named fields, or a stray character)',
    fix: 'compare the line with its neighbours: list items start with "- ", fields with "name: "',
  },
};

/** The first problem of a file that is not valid YAML, explained. */
export function explainYamlError(error: unknown, source: string): YamlProblem {
  const e = error instanceof YAMLParseError ? error : undefined;
  const line = e?.linePos?.[0]?.line;
  const known = e ? EXPLAIN[e.code] : undefined;
  const text = line ? source.split(/\r?\n/)[line - 1]?.trim() : undefined;
  const shown = text ? ` (the line reads: ${text.length > 70 ? `${text.slice(0, 70)}...` : text})` : '';
  return {
    line,
    message: `the file is not valid YAML${line ? ` at line ${line}` : ''}: ${known?.message ?? 'it cannot be read'}${shown}`,
    fix:
      known?.fix ??
      'check the indentation (spaces only) and put text that contains a colon or starts with a special character in "double quotes"',
  };
}

/** Parse with positions kept, so later problems can name a line. Throws YAMLParseError like parse(). */
export function parseWithLines(source: string): { data: unknown; lineOf: (path: readonly PropertyKey[]) => number | undefined; doc: Document } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  const lineOf = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { data: doc.toJS(), lineOf, doc };
}

/** A value of the wrong kind where text was expected, explained (undefined when it is something else). */
export function explainWrongKind(field: string, value: unknown): YamlProblem | undefined {
  if (typeof value === 'number') {
    return {
      message: `"${field}" must be text, but YAML read ${String(value)} as a number (a leading 0 or + is lost that way)`,
      fix: `put the value in double quotes, e.g. ${field}: "020 7946 0321"`,
    };
  }
  if (typeof value === 'boolean') {
    return {
      message: `"${field}" must be text, but YAML read it as ${String(value)} (words like yes, no, on and off mean true or false)`,
      fix: `put the value in double quotes, e.g. ${field}: "Yes"`,
    };
  }
  if (value === null) {
    return { message: `"${field}" has no value`, fix: `write the value after "${field}: ", or delete the line` };
  }
  return undefined;
}
