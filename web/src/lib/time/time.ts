// Times for people: RFC 3339 instants from the API shown in the user's locale and time zone,
// and a datetime-local field's value turned into the RFC 3339 instant it means here.

/** e.g. "30 Nov 2026, 14:03:07" (en-GB): date and time to the second. */
export function formatInstant(iso: string, locale?: string): string {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" }).format(
    moment,
  );
}

/** A duration in seconds as "12 s", "3 min 5 s", "2 h 10 min". */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The value of an <input type="datetime-local"> ("2026-11-30T14:03" or with seconds), read as
 * local time, as an RFC 3339 UTC instant; null if it is not one. */
export function localInputToInstant(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const moment = new Date(value); // no offset in the text: the browser's local time
  return Number.isNaN(moment.getTime()) ? null : moment.toISOString();
}
