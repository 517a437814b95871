import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../dialogs/diagram.js';
import { QUESTIONS } from '../../dialogs/questions.js';
import { makeMachine } from './helpers.js';

describe('toMermaid', () => {
  const diagram = toMermaid(makeMachine());

  it('when the machine is drawn, then every state appears and the check is a nested state', () => {
    expect(diagram.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const name of ['start', 'idle', 'ended', 'state triage {', 'triage_begin'])
      expect(diagram).toContain(name);
    for (const q of QUESTIONS) expect(diagram).toContain(`triage_${q.id}`);
  });

  it('when the machine is drawn, then the check moves to whichever question comes next, ends in the hub, and red flags go to the hub from anywhere', () => {
    for (const q of QUESTIONS)
      expect(diagram).toContain(`triage --> triage_${q.id} : turn.next [isNextQuestion]`);
    expect(diagram).toContain('triage --> idle : turn.next [isEmergencyNow]');
    expect(diagram).toContain('triage --> idle : turn.next [otherwise]');
    expect(diagram).toContain('triage_emergency --> idle : turn.message [isNotNow]');
    expect(diagram).toContain('turn.redFlag -> idle');
    expect(diagram).toContain('[*] --> start');
  });
});
