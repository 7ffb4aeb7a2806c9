declare module 'disposable-email-domains' {
  const domains: string[];
  export default domains;
}

declare module 'role-based-email-addresses' {
  const localParts: string[];
  export default localParts;
}

declare module 'geoip-lite' {
  export interface Lookup {
    country: string;
    region: string;
    city: string;
  }
  export function lookup(ip: string): Lookup | null;
}
