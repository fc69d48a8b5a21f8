export * from './errors.ts';
export * from './entities.ts';
export * from './fields.ts';
export * from './validation.ts';
