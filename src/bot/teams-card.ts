/**
 * A handoff as a Teams incoming-webhook message (an Adaptive Card), for clinics that want a post in
 * a staff channel (TEAMS_WEBHOOK_URL). Staff-facing: field names and codes, the same facts as the
 * signed webhook. The call-back name and number are included: the patient agreed to be called by
 * the clinic, and the channel belongs to the clinic's staff.
 */
import type { HandoffSummary } from './handoff.js';

export function teamsHandoffMessage(summary: HandoffSummary): unknown {
  const facts: Array<{ title: string; value: string }> = [
    { title: 'Reason', value: summary.reason },
    { title: 'Conversation', value: summary.conversationId },
    { title: 'Channel', value: summary.channelId },
    { title: 'At', value: summary.at },
  ];
  if (summary.clinicOpen !== undefined)
    facts.push({ title: 'Clinic open', value: summary.clinicOpen ? 'yes' : 'no' });
  if (summary.disposition) {
    facts.push({ title: 'Level', value: `${summary.disposition.level} (${summary.disposition.via})` });
    facts.push({ title: 'Rules', value: summary.disposition.ruleIds.join(', ') || '-' });
    facts.push({ title: 'Triage table', value: summary.disposition.version });
  }
  const answers = Object.entries(summary.answers);
  if (answers.length > 0)
    facts.push({ title: 'Answers', value: answers.map(([q, a]) => `${q}=${a}`).join(', ') });
  if (summary.callback) {
    facts.push({ title: 'Call back', value: summary.callback.name });
    facts.push({ title: 'Number', value: summary.callback.phone });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              text: summary.callback ? 'Clinic bot: call-back request' : 'Clinic bot: handoff',
            },
            { type: 'FactSet', facts },
          ],
        },
      },
    ],
  };
}
