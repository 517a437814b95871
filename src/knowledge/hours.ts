/**
 * Opening hours at a moment: open now or not, and when the clinic next opens, in the clinic's own
 * time zone (knowledge/clinic.yaml). The clock is always passed in, so tests can pick any moment.
 */
import type { Knowledge } from './load.js';
import { DAYS, type Clinic } from './schema.js';

export interface NextOpening {
  /** 0 = later today, 1 = tomorrow, ... */
  inDays: number;
  day: (typeof DAYS)[number];
  /** "HH:MM" */
  time: string;
}

function localDayAndMinutes(clinic: Clinic, now: Date): { dayIndex: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: clinic.timezone,
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const dayIndex = DAYS.indexOf(get('weekday').toLowerCase() as (typeof DAYS)[number]);
  return { dayIndex, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** Whether the clinic is open at `now`, in the clinic's time zone. */
export function isClinicOpen(clinic: Clinic, now: Date): boolean {
  const { dayIndex, minutes } = localDayAndMinutes(clinic, now);
  const hours = clinic.openingHours[DAYS[dayIndex]!];
  if (!hours || hours === 'closed') return false;
  const [open = '00:00', close = '00:00'] = hours.split('-');
  return minutes >= toMinutes(open) && minutes < toMinutes(close);
}

/** The next time the clinic opens after `now` (undefined when every day is closed). */
export function nextOpening(clinic: Clinic, now: Date): NextOpening | undefined {
  const { dayIndex, minutes } = localDayAndMinutes(clinic, now);
  for (let inDays = 0; inDays <= 7; inDays++) {
    const day = DAYS[(dayIndex + inDays) % 7]!;
    const hours = clinic.openingHours[day];
    if (!hours || hours === 'closed') continue;
    const open = hours.split('-')[0]!;
    if (inDays === 0 && minutes >= toMinutes(open)) continue;
    return { inDays, day, time: open };
  }
  return undefined;
}

/** Open now, or closed with the day and time it opens, worded from knowledge/messages (format.*). */
export function clinicNow(
  knowledge: Pick<Knowledge, 'clinic' | 'messages'>,
  now: Date,
): { open: boolean; day?: string; time?: string } {
  if (isClinicOpen(knowledge.clinic, now)) return { open: true };
  const next = nextOpening(knowledge.clinic, now);
  if (!next) return { open: false };
  const words = knowledge.messages;
  const day =
    next.inDays === 0
      ? (words.get('format.today') ?? 'today')
      : next.inDays === 1
        ? (words.get('format.tomorrow') ?? 'tomorrow')
        : (words.get(`format.${next.day}`) ?? next.day.charAt(0).toUpperCase() + next.day.slice(1));
  return { open: false, day, time: next.time };
}
