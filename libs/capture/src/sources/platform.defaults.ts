import { type FieldMapping, mergeMappings } from './field.mapping';

/**
 * The platforms' standard question keys and the lead field each fills, used for every source of
 * the platform; a source's `fields` in the sources file adds its own questions or overrides
 * these. A field not in RawLead (full_name, state, postal_code, …) is kept as an attribute, where
 * the normalizer reads full_name, state and company_size. Keys are folded to lower case.
 */
export const PLATFORM_DEFAULT_FIELDS: Readonly<
  Record<'meta' | 'google' | 'linkedin', FieldMapping>
> = {
  // Meta's standard lead form questions, as field_data[].name.
  meta: mergeMappings({
    email: 'email',
    work_email: 'email',
    full_name: 'full_name',
    first_name: 'first_name',
    last_name: 'last_name',
    phone_number: 'phone',
    work_phone_number: 'phone',
    company_name: 'company',
    job_title: 'job_title',
    country: 'country',
    state: 'state',
    province: 'state',
    city: 'city',
    zip_code: 'postal_code',
    post_code: 'postal_code',
    street_address: 'street_address',
    website: 'website',
  }),
  // Google's column_id values of user_column_data.
  google: mergeMappings({
    EMAIL: 'email',
    WORK_EMAIL: 'email',
    FULL_NAME: 'full_name',
    FIRST_NAME: 'first_name',
    LAST_NAME: 'last_name',
    PHONE_NUMBER: 'phone',
    WORK_PHONE: 'phone',
    COMPANY_NAME: 'company',
    JOB_TITLE: 'job_title',
    COUNTRY: 'country',
    REGION: 'state',
    CITY: 'city',
    POSTAL_CODE: 'postal_code',
    STREET_ADDRESS: 'street_address',
  }),
  // LinkedIn's predefinedField of the form's questions (the leadForms API).
  linkedin: mergeMappings({
    EMAIL: 'email',
    WORK_EMAIL: 'email',
    FIRST_NAME: 'first_name',
    LAST_NAME: 'last_name',
    PHONE_NUMBER: 'phone',
    WORK_PHONE_NUMBER: 'phone',
    COMPANY_NAME: 'company',
    JOB_TITLE: 'job_title',
    COUNTRY: 'country',
    STATE: 'state',
    CITY: 'city',
    POSTAL_CODE: 'postal_code',
    COMPANY_SIZE: 'company_size',
    INDUSTRY: 'industry',
    COMPANY_WEBSITE: 'website',
  }),
};
