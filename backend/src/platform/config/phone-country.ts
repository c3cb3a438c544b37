import { type CountryCode, isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

/** An ISO 3166-1 alpha-2 country libphonenumber knows, for numbers written without a country code. */
export const phoneCountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isSupportedCountry, 'must be a two-letter country code such as RU')
  .transform((code) => code as CountryCode);
