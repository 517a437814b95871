/**
 * A Mermaid state diagram of a machine, made by walking its state nodes and transitions (for the
 * README). Transitions that change state are drawn as arrows labelled `event [guard]`; the root's
 * transitions apply in every state and are listed in a note; transitions that stay in the same
 * state (answers, re-asks) are left out to keep the picture readable.
 */
import type { AnyStateMachine } from 'xstate';

type Node = AnyStateMachine['root'];
type Transition = NonNullable<Node['always']>[number];

const nameOf = (node: Node): string => node.path.join('_') || 'root';

function guardLabel(t: Transition): string {
  const guard = t.guard as unknown;
  if (!guard) return '';
  if (typeof guard === 'string') return ` [${guard}]`;
  if (typeof guard === 'object' && guard !== null && 'type' in guard)
    return ` [${String((guard as { type: unknown }).type)}]`;
  return ' [guard]';
}

function transitionsOf(node: Node): Transition[] {
  return [...node.transitions.values()].flat().concat(node.always ?? []);
}

function label(t: Transition): string {
  const event = t.eventType === '' || t.eventType === undefined ? 'always' : String(t.eventType);
  const siblings = t.source.transitions.get(t.eventType) ?? [];
  const otherwise = !t.guard && siblings.length > 1 ? ' [otherwise]' : '';
  return `${event}${guardLabel(t)}${otherwise}`;
}

export function toMermaid(machine: AnyStateMachine): string {
  const lines: string[] = ['stateDiagram-v2'];
  const edges: string[] = [];

  const walk = (node: Node, indent: string): void => {
    const children = Object.values(node.states) as Node[];
    const initial = node.initial?.target?.[0] as Node | undefined;
    if (initial) lines.push(`${indent}[*] --> ${nameOf(initial)}`);
    for (const child of children) {
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${nameOf(child)} {`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}${nameOf(child)}`);
      }
      for (const t of transitionsOf(child)) {
        const target = t.target?.[0] as Node | undefined;
        if (!target || target === child) continue;
        edges.push(`  ${nameOf(child)} --> ${nameOf(target)} : ${label(t)}`);
      }
    }
  };

  walk(machine.root, '  ');
  lines.push(...[...new Set(edges)]);

  const global = transitionsOf(machine.root)
    .filter((t) => t.target?.[0])
    .map((t) => `${label(t)} -> ${nameOf(t.target![0] as Node)}`);
  const firstState = (Object.values(machine.root.states) as Node[])[0];
  if (global.length > 0 && firstState) {
    lines.push(`  note right of ${nameOf(firstState)}`);
    lines.push('    In every state:');
    for (const g of [...new Set(global)]) lines.push(`    ${g}`);
    lines.push('  end note');
  }
  return `${lines.join('\n')}\n`;
}
