import { randomBytes } from 'node:crypto';

const ADJECTIVES = ['amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'eager', 'gentle', 'happy', 'honest', 'keen', 'kind', 'lively', 'lucid', 'mellow', 'merry', 'neat', 'nimble', 'patient', 'plucky', 'polite', 'proud', 'quick', 'quiet', 'shy', 'sincere', 'sleepy', 'steady', 'sunny', 'swift', 'tidy', 'witty', 'zen'];
const NOUNS = ['badger', 'beet', 'cabbage', 'camel', 'cherry', 'crane', 'falcon', 'fig', 'garden', 'heron', 'kettle', 'kiwi', 'lamp', 'lemon', 'lynx', 'mango', 'maple', 'otter', 'owl', 'pear', 'pepper', 'plum', 'quail', 'river', 'salmon', 'sparrow', 'spoon', 'stone', 'tiger', 'tomato', 'turnip', 'walrus', 'willow', 'yak'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

const pick = <T>(xs: T[], b: number) => xs[b % xs.length];

/** Azure ML style: display names like `sincere_tiger`, job names with a random tail. */
export function generateNames(): { name: string; display_name: string } {
  const b = randomBytes(12);
  const display = `${pick(ADJECTIVES, b[0])}_${pick(NOUNS, b[1])}`;
  const tail = Array.from(b.subarray(2, 12), (x) => ALPHABET[x % ALPHABET.length]).join('');
  return { name: `${display}_${tail}`, display_name: display };
}
