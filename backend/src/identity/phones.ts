import type { CountryCode } from 'libphonenumber-js/max';
import type { Bot } from '../bots/bots';
import type { Config } from '../platform/config/config';
import { phoneCountrySchema, phoneNumbers } from '../platform/config/phone-country';

/** The bot's `settings.identity.defaultPhoneCountry`, else DEFAULT_PHONE_COUNTRY. */
export function defaultPhoneCountry(bot: Bot, config: Pick<Config, 'DEFAULT_PHONE_COUNTRY'>): CountryCode {
  const identity = bot.settings.identity as { defaultPhoneCountry?: unknown } | undefined;
  const own = phoneCountrySchema.safeParse(identity?.defaultPhoneCountry);
  return own.success ? own.data : config.DEFAULT_PHONE_COUNTRY;
}

/**
 * E.164 (`+79181234567`), or undefined when the text is not one valid phone number: "8 918 123-45-67"
 * and "+7 918 123 45 67" are the same phone in Russia. A number written without its country code
 * is read in `country`; failing that, as an international number missing its "+" ("4915112345678").
 */
export function toE164(text: string, country: CountryCode): string | undefined {
  const written = text.trim().replace(/^00/, '+');
  const readings = written.startsWith('+') ? [written] : [written, `+${written}`];
  for (const reading of readings) {
    const phone = phoneNumbers().parsePhoneNumberFromString(reading, { defaultCountry: country, extract: false });
    if (phone?.isValid()) return phone.number;
  }
  return undefined;
}
