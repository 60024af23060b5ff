/** The part of the `edtf` package (ISO 8601-2 parser, no types of its own) the ledger uses. */
declare module 'edtf' {
  interface ExtendedDate {
    type: 'Date' | 'Year' | 'Decade' | 'Century' | 'Season' | 'Interval' | 'List' | 'Set';
    /** First and last millisecond it may mean; infinite for an open end, NaN-like null for an unknown one. */
    min: number;
    max: number;
    toEDTF(): string;
  }
  export default function edtf(text: string): ExtendedDate;
}
