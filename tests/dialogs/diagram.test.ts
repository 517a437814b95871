import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../dialogs/diagram.js';
import { QUESTIONS } from '../../dialogs/questions.js';
import { makeMachine } from './helpers.js';

describe('toMermaid', () => {
  const diagram = toMermaid(makeMachine());

  it('when the machine is drawn, then every state appears and the check is a nested state', () => {
    expect(diagram.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const name of ['start', 'idle', 'ended', 'state triage {', 'triage_consent'])
      expect(diagram).toContain(name);
    for (const q of QUESTIONS) expect(diagram).toContain(`triage_${q.id}`);
  });

  it('when the machine is drawn, then each question leads to the next on an answer, and red flags go to the hub from anywhere', () => {
    for (let i = 0; i + 1 < QUESTIONS.length; i++) {
      expect(diagram).toContain(
        `triage_${QUESTIONS[i]!.id} --> triage_${QUESTIONS[i + 1]!.id} : turn.message [isAnswer]`,
      );
    }
    expect(diagram).toContain(`triage_${QUESTIONS.at(-1)!.id} --> idle : turn.message [isAnswer]`);
    expect(diagram).toContain('turn.redFlag -> idle');
    expect(diagram).toContain('[*] --> start');
  });
});
