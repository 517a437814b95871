/**
 * Model-based coverage with xstate/graph: every state is reachable with ordinary messages, no
 * state is a dead end, and from every state the conversation can get back to the hub or end.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getSimplePaths } from 'xstate/graph';
import type { DialogEvent } from '../../dialogs/conversation.machine.js';
import { QUESTIONS } from '../../dialogs/questions.js';
import {
  entities,
  makeMachine,
  no,
  pick,
  sampleEvents,
  serializeForGraph,
  statePath,
  waysToEveryState,
  yes,
} from './helpers.js';

const machine = makeMachine();

/** Every leaf state of the machine as a dotted path. */
function leafStates(): string[] {
  const out: string[] = [];
  const walk = (node: typeof machine.root, prefix: string[]) => {
    const children = Object.entries(node.states);
    if (children.length === 0) out.push(prefix.join('.'));
    for (const [key, child] of children) walk(child, [...prefix, key]);
  };
  walk(machine.root, []);
  // The call-back states exist only with call backs on (tests/dialogs/callback.test.ts walks them).
  return out.filter((s) => !s.startsWith('handoff.'));
}

/** Leaf states a turn can end in: `triage.begin` only passes the check on to its first question. */
function stableStates(): string[] {
  return leafStates().filter((s) => s !== 'triage.begin');
}

/** State value -> the state values one host event can lead to. */
function graph(): Map<string, Set<string>> {
  const adjacency = getAdjacencyMap(machine, {
    events: sampleEvents(),
    serializeState: serializeForGraph,
  });
  const edges = new Map<string, Set<string>>();
  for (const vertex of Object.values(adjacency)) {
    const from = statePath(vertex.state.value);
    const to = edges.get(from) ?? new Set<string>();
    const transitions = Object.values(vertex.transitions) as Array<{ state: { value: unknown } }>;
    for (const t of transitions) to.add(statePath(t.state.value));
    edges.set(from, to);
  }
  return edges;
}

const ENDINGS = new Set(['idle', 'ended']);

describe('paths', () => {
  it('when the machine is walked with ordinary messages, then every state is reachable', () => {
    const reached = [...waysToEveryState(machine).keys()].sort();
    expect(reached).toEqual(stableStates().sort());
    expect(reached.length).toBe(3 + QUESTIONS.length);
  });

  it('when any state is left with some message, then no state is a dead end', () => {
    const edges = graph();
    for (const state of stableStates()) {
      const next = [...(edges.get(state) ?? [])].filter((s) => s !== state);
      expect(next.length, state).toBeGreaterThan(0);
    }
  });

  it('when any state is reached, then the conversation can still get to an ending (the hub, after a disposition, or goodbye)', () => {
    const edges = graph();
    for (const state of stableStates()) {
      const seen = new Set([state]);
      const queue = [state];
      let found = ENDINGS.has(state);
      while (queue.length && !found) {
        for (const next of edges.get(queue.shift()!) ?? []) {
          if (ENDINGS.has(next)) found = true;
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      expect(found, state).toBe(true);
    }
  });

  it('when the symptom check is answered from its first question, then every simple path ends in the hub, and one goes through both groups of signs and every detail in order', () => {
    const [joined] = transition(machine, initialTransition(machine)[0], { type: 'user.joined', now: 0 });
    const [first] = transition(machine, joined, {
      type: 'user.message',
      nlu: pick('intent:start_triage'),
      now: 0,
    });
    expect(statePath(first.value)).toBe('triage.emergency');
    const answers: DialogEvent[] = [
      yes(),
      no(),
      entities({ locations: ['buttock'] }),
      entities({ durationDays: 9 }),
      entities({ painScore: 3 }),
      pick('option:sitting'),
      entities({ age: 33 }),
      pick('option:better'),
    ].map((m) => ({ type: 'user.message', nlu: m, now: 0 }));
    const paths = getSimplePaths(machine, {
      events: answers,
      fromState: first,
      serializeState: serializeForGraph,
      toState: (snapshot) => statePath(snapshot.value) === 'idle',
    });
    expect(paths.length).toBeGreaterThanOrEqual(3);
    for (const path of paths) expect(statePath(path.state.value)).toBe('idle');
    const visited = paths.map((p) =>
      p.steps.map((s) => statePath(s.state.value)).filter((v) => v.startsWith('triage.')),
    );
    const full = ['emergency', 'urgent', ...QUESTIONS.filter((q) => q.phase === 'details').map((q) => q.id)];
    expect(visited).toContainEqual(full.map((q) => `triage.${q}`));
  });
});
