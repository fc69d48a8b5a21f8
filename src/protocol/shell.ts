/** `s` as one word for a POSIX shell: as it is when that is safe, else single-quoted with `'` written as `'\''`. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
