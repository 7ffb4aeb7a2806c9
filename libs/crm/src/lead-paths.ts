import { allSchemas } from '@lead-router/schemas';

/** What a path of a routed lead leads to, read from its Avro schema. */
type PathNode =
  | { kind: 'scalar' }
  /** A map of scalars: the rest of the path is the key. */
  | { kind: 'map' }
  | { kind: 'record'; fields: ReadonlyMap<string, PathNode> };

type AvroType = string | readonly AvroType[] | AvroComplex;
interface AvroComplex {
  readonly type: string;
  readonly name?: string;
  readonly fields?: readonly { readonly name: string; readonly type: AvroType }[];
  readonly values?: AvroType;
}

const PRIMITIVES = new Set(['string', 'int', 'long', 'float', 'double', 'boolean']);

/** The parts of a routed lead a mapping reads from. */
export const MAPPING_ROOTS = ['lead', 'enrichment', 'decision'] as const;

/**
 * The node of an Avro type, or null for what a mapping cannot read (arrays, bytes, a map of
 * records). Named types are defined where they first appear and referred to by name after.
 */
function nodeOf(type: AvroType, named: Map<string, AvroComplex>): PathNode | null {
  if (typeof type === 'string') {
    if (PRIMITIVES.has(type)) return { kind: 'scalar' };
    const ref = named.get(type) ?? named.get(type.split('.').pop() ?? '');
    return ref ? nodeOf(ref, named) : null;
  }
  if (Array.isArray(type)) {
    const present = type.filter((t) => t !== 'null');
    return present.length === 1 ? nodeOf(present[0]!, named) : null;
  }
  const complex = type as AvroComplex;
  if (complex.name) named.set(complex.name, complex);
  switch (complex.type) {
    case 'enum':
      return { kind: 'scalar' };
    case 'map':
      return complex.values !== undefined && nodeOf(complex.values, named)?.kind === 'scalar'
        ? { kind: 'map' }
        : null;
    case 'record': {
      const fields = new Map<string, PathNode>();
      for (const field of complex.fields ?? []) {
        const node = nodeOf(field.type, named);
        if (node) fields.set(field.name, node);
      }
      return { kind: 'record', fields };
    }
    default:
      return PRIMITIVES.has(complex.type) ? { kind: 'scalar' } : null; // a logical type
  }
}

/** Every readable path of a routed lead, from the RoutedLead schema: one source of truth. */
const TREE: ReadonlyMap<string, PathNode> = (() => {
  const routed = nodeOf(allSchemas.RoutedLead as unknown as AvroType, new Map());
  if (routed?.kind !== 'record') throw new TypeError('RoutedLead is not a record');
  return new Map(MAPPING_ROOTS.map((root) => [root, routed.fields.get(root)!]));
})();

/** The scalar paths (`lead.email`) and map prefixes (`lead.attributes.`) a mapping may read. */
export function mappablePaths(): { scalars: string[]; maps: string[] } {
  const scalars: string[] = [];
  const maps: string[] = [];
  const walk = (prefix: string, node: PathNode) => {
    if (node.kind === 'scalar') scalars.push(prefix);
    else if (node.kind === 'map') maps.push(prefix);
    else for (const [name, child] of node.fields) walk(`${prefix}.${name}`, child);
  };
  for (const [root, node] of TREE) walk(root, node);
  return { scalars, maps };
}

/**
 * The pattern of a path to one scalar of a routed lead: a scalar field at any depth
 * (`lead.email`, `enrichment.firmographics.industry`) or a key of a map of scalars
 * (`lead.attributes.utm_source`, `lead.consent.marketing`).
 */
export function scalarPathPattern(): RegExp {
  const escape = (s: string) => s.replace(/[.]/g, '\\.');
  const { scalars, maps } = mappablePaths();
  const alternatives = [...scalars.map(escape), ...maps.map((m) => `${escape(m)}\\.[^.\\s]+`)];
  return new RegExp(`^(${alternatives.join('|')})$`);
}

/** The value at a path, walking records by field and taking the rest of the path as a map key. */
export function readPath(routed: object, path: string): unknown {
  const segments = path.split('.');
  let node: PathNode | undefined = { kind: 'record', fields: TREE };
  let value: unknown = routed;
  for (let i = 0; i < segments.length; i++) {
    if (node === undefined || value === null || typeof value !== 'object') return undefined;
    if (node.kind === 'map') return (value as Record<string, unknown>)[segments.slice(i).join('.')];
    if (node.kind === 'scalar') return undefined;
    const segment = segments[i]!;
    node = node.fields.get(segment);
    value = (value as Record<string, unknown>)[segment];
  }
  return node?.kind === 'scalar' ? value : undefined;
}
