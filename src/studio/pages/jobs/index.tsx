// The Jobs pages: the list (/jobs) and one job (/jobs/:name).
export { JobList } from './list.tsx';
export { JobPage } from './job-page.tsx';
