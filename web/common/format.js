// What the pages show, formatted for the reader with Intl in a locale
// (BCP 47): amounts, numbers, dates and instants; and the language of the
// labels for a locale.

// The languages the pages have labels in.
export const languages = ['en', 'fr', 'pt', 'uk'];

// The language of the labels for the locale `tag`: one of `languages`,
// English when it speaks none of them.
export function languageOf(tag) {
  const lang = String(tag || '').slice(0, 2).toLowerCase();
  return languages.includes(lang) ? lang : 'en';
}

// A date (YYYY-MM-DD, a day in no time zone) or an instant (RFC 3339).
function moment(iso) {
  return new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
}

export function formats(locale) {
  return {
    locale,
    // Amounts are decimal strings, exact to the minor unit: handed to Intl
    // as they are, never turned into numbers to compute with.
    money(amount, currency) {
      try {
        return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
      } catch { return `${amount} ${currency}`; }
    },
    // A count or a measure; `options` as Intl.NumberFormat's.
    number(n, options) {
      return new Intl.NumberFormat(locale, options).format(n);
    },
    // A date, or the date of an instant in UTC: "25 Jul 2024".
    day(iso) {
      return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(moment(iso));
    },
    // A date's day and month, short: "26 May".
    dayMonth(iso) {
      return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' })
        .format(moment(iso));
    },
    // An instant in the reader's time zone: "25 Jul 2024, 15:00".
    when(instant) {
      return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })
        .format(new Date(instant));
    },
    // An instant in UTC, said so: "25/07/2024, 15:00 UTC".
    utc(instant) {
      return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' })
        .format(new Date(instant)) + ' UTC';
    },
  };
}
