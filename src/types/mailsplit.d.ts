declare module 'mailsplit' {
  export interface HeaderLine {
    key: string;
    line: string;
  }
  export class Headers {
    constructor(headers: Buffer | string | HeaderLine[], config?: object);
    changed: boolean;
    hasHeader(key: string): boolean;
    get(key: string): string[];
    getDecoded(key: string): { key: string; value: string }[];
    getFirst(key: string): string;
    getList(): HeaderLine[];
    add(key: string, value: string | number | Buffer, index?: number): void;
    addFormatted(key: string, line: string, index?: number): void;
    remove(key: string): void;
    update(key: string, value: string, relativeIndex?: number): void;
    build(lineEnd?: string): Buffer;
  }
}
