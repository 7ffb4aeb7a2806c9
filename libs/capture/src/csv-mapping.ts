import { err, ok, type Result } from '@lead-router/errors';
import {
  KNOWN_FIELD_MAX_LENGTH,
  MAX_ATTRIBUTE_KEY_LENGTH,
  type KnownField,
} from './lead-input.schema';

/** Where one column of a partner file goes: a lead field, an attribute, or nowhere (null). */
export interface ColumnTarget {
  column: string;
  field: string | null;
  /** How the target was chosen: named by the caller, a known synonym, or the header as attribute. */
  by: 'given' | 'synonym' | 'attribute';
}

export interface CsvMapping {
  columns: readonly ColumnTarget[];
  /**
   * The column whose value is each row's idempotency key (it becomes source_lead_id), or null:
   * then the key is a hash of the row's mapped, normalized content.
   */
  keyColumn: string | null;
}

/**
 * Header names, folded (lower case, accents and everything but letters and digits removed), that
 * mean a known field: English, German, French and Spanish spellings seen in CRM and list exports.
 */
const SYNONYMS: Record<KnownField, readonly string[]> = {
  email: [
    'email',
    'emailaddress',
    'mail',
    'emailadresse',
    'courriel',
    'correo',
    'correoelectronico',
  ],
  phone: [
    'phone',
    'phonenumber',
    'tel',
    'telephone',
    'telefon',
    'telefonnummer',
    'telefono',
    'mobile',
    'mobilephone',
    'mobil',
    'handy',
    'cell',
    'cellphone',
  ],
  first_name: ['firstname', 'first', 'givenname', 'forename', 'vorname', 'prenom', 'nombre'],
  last_name: [
    'lastname',
    'last',
    'surname',
    'familyname',
    'nachname',
    'nom',
    'apellido',
    'apellidos',
  ],
  company: [
    'company',
    'companyname',
    'organization',
    'organisation',
    'firma',
    'unternehmen',
    'societe',
    'entreprise',
    'empresa',
    'employer',
  ],
  website: ['website', 'web', 'url', 'homepage', 'webseite', 'siteweb', 'companywebsite'],
  country: ['country', 'countrycode', 'land', 'pays', 'pais'],
  job_title: [
    'jobtitle',
    'title',
    'position',
    'role',
    'jobrole',
    'berufsbezeichnung',
    'poste',
    'cargo',
  ],
  message: ['message', 'comment', 'comments', 'notes', 'note', 'nachricht', 'kommentar'],
  source_lead_id: ['sourceleadid', 'leadid', 'id', 'externalid', 'reference', 'ref'],
};

const SYNONYM_FIELD = new Map<string, KnownField>(
  (Object.entries(SYNONYMS) as [KnownField, readonly string[]][]).flatMap(([field, names]) =>
    names.map((name) => [name, field] as const),
  ),
);

const KNOWN_FIELDS = new Set<string>(Object.keys(KNOWN_FIELD_MAX_LENGTH));
const ATTRIBUTE_NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${MAX_ATTRIBUTE_KEY_LENGTH}}$`);

function folded(header: string): string {
  return header
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** `Lead Source (UTM)` → `lead_source_utm`: the attribute name an unmapped column is kept under. */
function attributeName(header: string): string {
  return header
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_ATTRIBUTE_KEY_LENGTH);
}

export interface MappingRequest {
  /** column → field, attribute name, or '' / '-' to leave the column out. */
  given?: Readonly<Record<string, string>>;
  keyColumn?: string;
}

/**
 * The mapping for a header: the caller's choices first, then known synonyms (the first column to
 * claim a field wins; a later one is kept as an attribute), then every other column as an
 * attribute named after its header. Refuses what cannot be imported: a duplicate or empty column
 * name, a given column the header lacks, two columns given the same field, a bad target name.
 */
export function resolveCsvMapping(
  header: readonly string[],
  request: MappingRequest = {},
): Result<CsvMapping, string[]> {
  const problems: string[] = [];
  const given = request.given ?? {};
  const seen = new Set<string>();
  header.forEach((column, i) => {
    if (column.trim() === '') problems.push(`column ${i + 1} has no name in the header`);
    else if (seen.has(column)) problems.push(`column "${column}" appears twice in the header`);
    seen.add(column);
  });
  for (const column of Object.keys(given)) {
    if (!seen.has(column)) problems.push(`mapped column "${column}" is not in the header`);
  }
  if (request.keyColumn !== undefined && !seen.has(request.keyColumn)) {
    problems.push(`key column "${request.keyColumn}" is not in the header`);
  }
  const claimed = new Map<string, string>();
  const columns: ColumnTarget[] = header.map((column) => {
    const target = Object.hasOwn(given, column) ? given[column]!.trim() : undefined;
    if (target !== undefined) {
      if (target === '' || target === '-') return { column, field: null, by: 'given' };
      if (!KNOWN_FIELDS.has(target) && !ATTRIBUTE_NAME.test(target)) {
        problems.push(
          `column "${column}" is mapped to "${target}": expected a lead field (${[...KNOWN_FIELDS].join(', ')}) or an attribute name of letters, digits, _ . -`,
        );
      } else if (claimed.has(target)) {
        problems.push(
          `columns "${claimed.get(target)}" and "${column}" are both mapped to ${target}`,
        );
      }
      claimed.set(target, column);
      return { column, field: target, by: 'given' };
    }
    return { column, field: null, by: 'attribute' };
  });
  for (const target of columns) {
    if (target.by === 'given') continue;
    const synonym = SYNONYM_FIELD.get(folded(target.column));
    if (synonym !== undefined && !claimed.has(synonym)) {
      claimed.set(synonym, target.column);
      target.field = synonym;
      target.by = 'synonym';
    }
  }
  for (const target of columns) {
    if (target.by !== 'attribute') continue;
    const name = attributeName(target.column);
    // A header of punctuation only, or one folding onto a name already taken, is left out.
    target.field = name === '' || claimed.has(name) ? null : name;
    if (target.field !== null) claimed.set(name, target.column);
  }
  if (problems.length > 0) return err(problems);
  const keyColumn =
    request.keyColumn ?? columns.find((c) => c.field === 'source_lead_id')?.column ?? null;
  return ok({ columns, keyColumn });
}
