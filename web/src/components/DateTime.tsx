// An RFC 3339 instant from the API, shown in the user's locale and time zone.
import { formatInstant } from "../lib/time/time";

export function DateTime({ value }: { value: string }) {
  return <time dateTime={value}>{formatInstant(value)}</time>;
}
