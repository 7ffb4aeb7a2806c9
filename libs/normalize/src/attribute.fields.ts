/**
 * The submitted extra fields the normalizer reads, by folded name (lower case, letters and
 * digits only): `Full Name`, `full_name` and `fullName` are all `fullname`. README lists them.
 */
export const ATTRIBUTE_FIELDS = {
  email: ['email', 'emailaddress', 'mail'],
  phone: ['phone', 'phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'telephone', 'tel'],
  country: ['country', 'countrycode', 'countryname'],
  fullName: ['fullname', 'name', 'contactname', 'yourname'],
  subdivision: [
    'state',
    'statecode',
    'province',
    'region',
    'subdivision',
    'stateprovince',
    'stateorprovince',
  ],
  companySize: [
    'companysize',
    'employees',
    'employeecount',
    'numberofemployees',
    'numemployees',
    'noofemployees',
    'headcount',
    'employeesize',
  ],
  industry: ['industry', 'sector', 'vertical', 'naics', 'naicscode'],
} as const;
