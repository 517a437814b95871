/**
 * Reading a name and a phone number typed for a call back. Only called while the dialog asks for
 * them; what is read goes to the dialog for this handoff and nowhere else (never to the logs).
 */

/** "my name is", "it's", "I'm" and the like before the answer itself. */
const LEAD_IN =
  /^(?:(?:my|the)\s+(?:name|number|phone(?:\s+number)?|mobile)\s+is|it'?s|it\s+is|i'?m|i\s+am|this\s+is|call\s+me(?:\s+on)?|you\s+can\s+call\s+me\s+on|on)\s*[:,-]?\s+/i;

/** A plausible name: 1-6 words of letters (any script), hyphens, apostrophes or dots; at most 60 characters. */
export function readName(text: string): string | undefined {
  const name = text
    .trim()
    .replace(LEAD_IN, '')
    .replace(/[.!]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (name.length < 1 || name.length > 60) return undefined;
  if (!/^[\p{L}][\p{L}\p{M}'’. -]*$/u.test(name)) return undefined;
  if (name.split(' ').length > 6) return undefined;
  return name;
}

/** A phone number: 7-15 digits, an optional leading +, with spaces, dots, dashes or brackets between. */
export function readPhone(text: string): string | undefined {
  const raw = text
    .trim()
    .replace(LEAD_IN, '')
    .replace(/[.!]+$/, '')
    .trim();
  if (!/^\+?[\d\s().-]+$/.test(raw)) return undefined;
  const digits = raw.replace(/[^\d+]/g, '');
  if (!/^\+?\d{7,15}$/.test(digits)) return undefined;
  return raw.replace(/\s+/g, ' ');
}
