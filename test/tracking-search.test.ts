import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MlflowError } from '../src/protocol/mlflow/errors.ts';
import {
  MAX_RESULTS_LIMIT, checkMaxResults, compareRuns, createPageToken, parseExperimentFilter, parseExperimentOrderBy,
  parsePageToken, parseRunFilter, parseRunOrderBy, runMatches, searchExperiments, searchRuns,
  type ExperimentView, type RunView, type SearchOptions,
} from '../src/tracking/search/index.ts';

function run(id: string, over: Partial<RunView>): RunView {
  return {
    run_id: id, run_name: id, experiment_id: '1', user_id: 'ann', status: 'FINISHED', start_time: 0, end_time: null,
    artifact_uri: `file:///mlruns/1/${id}/artifacts`, lifecycle_stage: 'active', params: {}, tags: {}, metrics: {}, ...over,
  };
}

const RUNS: RunView[] = [
  run('a1', {
    run_name: 'alpha', start_time: 1000, end_time: 2000, artifact_uri: 's3://bucket/a1',
    params: { lr: '0.01', model: 'LogisticRegression', 'my param': 'x y' },
    tags: { 'mlflow.runName': 'alpha', team: 'Vision' },
    metrics: { acc: 0.9, loss: 0.3, 'f1 score': 0.8, 'val/loss': 0.2 },
  }),
  run('b2', {
    run_name: 'beta', user_id: 'bob', status: 'RUNNING', start_time: 3000,
    params: { lr: '0.1', model: 'RandomForest', 'model-type': 'rf' }, tags: { team: 'nlp' }, metrics: { acc: 0.95, loss: NaN },
  }),
  run('c3', {
    run_name: 'gamma_1', status: 'FAILED', start_time: 2000, end_time: 2500,
    params: { lr: '0.01' }, tags: { team: 'vision' }, metrics: { acc: 0.5, loss: Infinity },
  }),
  run('d4', { run_name: 'delta%', user_id: 'carl', status: 'KILLED', start_time: 2000, end_time: 4000, metrics: { acc: -1 } }),
  run('e5', { run_name: 'eps', start_time: 5000, end_time: 6000, lifecycle_stage: 'deleted', params: { lr: '0.01' }, metrics: { acc: 0.99 } }),
];

const ids = (rs: RunView[]) => rs.map((r) => r.run_id);
const search = (o: Partial<SearchOptions>) => ids(searchRuns(RUNS, { maxResults: 1000, ...o }).runs);

function assertMlflowError(fn: () => unknown, fragment: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MlflowError, `expected MlflowError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_PARAMETER_VALUE');
    assert.equal(e.status, 400);
    assert.ok(e.message.includes(fragment), `"${e.message}" lacks "${fragment}"`);
    return true;
  });
}

describe('run filter: matching', () => {
  // Active runs in the default order are b2, c3, d4, a1 (start_time DESC, run_id ASC).
  const cases: [string | undefined, string[]][] = [
    [undefined, ['b2', 'c3', 'd4', 'a1']],
    ['', ['b2', 'c3', 'd4', 'a1']],
    ['   ', ['b2', 'c3', 'd4', 'a1']],
    // metrics: every comparator; NaN only satisfies !=; a missing metric never matches
    ['metrics.acc > 0.9', ['b2']],
    ['metrics.acc >= 0.9', ['b2', 'a1']],
    ['metrics.acc < 0.9', ['c3', 'd4']],
    ['metrics.acc <= 0.5', ['c3', 'd4']],
    ['metrics.acc = 0.9', ['a1']],
    ['metrics.acc != 0.9', ['b2', 'c3', 'd4']],
    ['metrics.acc > -2', ['b2', 'c3', 'd4', 'a1']],
    ['metrics.acc < -0.5', ['d4']],
    ['metrics.acc > 9e-1', ['b2']],
    ['metrics.acc > .94', ['b2']],
    ['metric.loss > 1', ['c3']],
    ['metrics.loss != 0.3', ['b2', 'c3']],
    ['metrics.loss = 0.3', ['a1']],
    ['metrics.nope != 1', []],
    ['metrics.toString > 0', []],
    ['metrics.`f1 score` = 0.8', ['a1']],
    ['metrics."f1 score" >= 0.8', ['a1']],
    ['`metrics`.acc = 0.9', ['a1']],
    ['metrics.val/loss < 0.5', ['a1']],
    ['metrics.acc>0.9', ['b2']],
    // params: =, !=, LIKE, ILIKE; single or double quotes; every entity alias
    ["params.lr = '0.01'", ['c3', 'a1']],
    ['params.lr = "0.01"', ['c3', 'a1']],
    ["param.lr = '0.01'", ['c3', 'a1']],
    ["parameter.lr = '0.01'", ['c3', 'a1']],
    ["parameters.lr = '0.01'", ['c3', 'a1']],
    ["params.lr != '0.01'", ['b2']],
    ["params.nope != 'x'", []],
    ["params.lr='0.1'", ['b2']],
    ["params.model LIKE '%Forest'", ['b2']],
    ["params.model like '%Forest'", ['b2']],
    ["params.model LIKE 'logistic%'", []],
    ["params.model ILIKE 'logistic%'", ['a1']],
    ["params.model ilike '%REGRESSION'", ['a1']],
    ["params.lr LIKE '0.0_'", ['c3', 'a1']],
    ["params.lr LIKE '0_1'", ['b2']],
    ["params.lr LIKE '0.1'", ['b2']],
    ["params.lr LIKE '0%'", ['b2', 'c3', 'a1']],
    ['params."my param" = \'x y\'', ['a1']],
    ["params.`my param` = 'x y'", ['a1']],
    ["params.model-type = 'rf'", ['b2']],
    ["params.'my param' = 'x y'", ['a1']],
    // tags
    ["tags.team = 'vision'", ['c3']],
    ["tag.team != 'nlp'", ['c3', 'a1']],
    ["tags.team LIKE 'V%'", ['a1']],
    ["tags.team ILIKE 'VISION'", ['c3', 'a1']],
    ["tags.constructor = 'x'", []],
    // the run-name tag reads run_name, so runs without the tag are found too
    ['tags."mlflow.runName" = \'alpha\'', ['a1']],
    ["tags.mlflow.runName LIKE '%a'", ['b2', 'a1']],
    // string attributes
    ["attributes.status = 'FAILED'", ['c3']],
    ["status != 'FAILED'", ['b2', 'd4', 'a1']],
    ["attr.user_id = 'ann'", ['c3', 'a1']],
    ["run.run_name LIKE 'gamma_%'", ['c3']],
    ["attribute.run_name ILIKE 'DELTA%'", ['d4']],
    ["attributes.`Run name` = 'beta'", ['b2']],
    ['attributes."run name" = \'beta\'', ['b2']],
    ["attributes.artifact_uri LIKE 's3://%'", ['a1']],
    ["attributes.run_id = 'a1'", ['a1']],
    ["run_id IN ('a1', 'c3')", ['c3', 'a1']],
    ["run_id in ('a1')", ['a1']],
    ['run_id IN ("b2")', ['b2']],
    ["run_id NOT IN ('a1')", ['b2', 'c3', 'd4']],
    ["run_id not in ('a1','b2')", ['c3', 'd4']],
    // numeric attributes; a null end_time never matches
    ['attributes.start_time >= 2000', ['b2', 'c3', 'd4']],
    ['start_time > 2000', ['b2']],
    ['start_time <= 1000', ['a1']],
    ['start_time != 2000', ['b2', 'a1']],
    ['created < 2000', ['a1']],
    ['Created = 3000', ['b2']],
    ['attributes.end_time > 2000', ['c3', 'd4']],
    ['end_time != 2000', ['c3', 'd4']],
    ['end_time < 10000', ['c3', 'd4', 'a1']],
    // AND chains, any keyword case
    ["metrics.acc > 0 and params.lr = '0.01'", ['c3', 'a1']],
    ["params.lr = '0.01' AND tags.team = 'vision' AnD status = 'FAILED'", ['c3']],
    ["metrics.acc > 0 AND metrics.acc < 0.9 AND start_time = 2000", ['c3']],
  ];
  for (const [filter, expected] of cases) {
    it(`${JSON.stringify(filter)} → [${expected.join(', ')}]`, () => assert.deepEqual(search({ filter }), expected));
  }

  it('runMatches applies parsed clauses to one run', () => {
    const clauses = parseRunFilter("metrics.acc > 0.5 AND tags.team ILIKE 'vision'");
    assert.deepEqual(RUNS.filter((r) => runMatches(r, clauses)).map((r) => r.run_id), ['a1']);
  });

  it('normalises clauses so a store can translate them', () => {
    assert.deepEqual(parseRunFilter("created > 5 AND tags.\"mlflow.runName\" like 'x%' AND run_id NOT IN ('a', \"b\") AND metrics.`a b` <= -1.5e2"), [
      { kind: 'number', entity: 'attribute', key: 'start_time', comparator: '>', value: 5 },
      { kind: 'string', entity: 'attribute', key: 'run_name', comparator: 'LIKE', value: 'x%' },
      { kind: 'list', entity: 'attribute', key: 'run_id', comparator: 'NOT IN', value: ['a', 'b'] },
      { kind: 'number', entity: 'metric', key: 'a b', comparator: '<=', value: -150 },
    ]);
  });
});

describe('run filter: errors', () => {
  const NUM = "'{'=', '!=', '>', '>=', '<', '<='}'";
  const STR = "'{'=', '!=', 'LIKE', 'ILIKE'}'";
  const cases: [string, string][] = [
    ["foo.bar = 'x'", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute']"],
    ["datasets.name = 'x'", "Invalid entity type 'datasets'"],
    ["attributes.foo = 'x'", "Invalid attribute key 'foo' specified. Valid keys are '{'artifact_uri', "],
    ["lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"],
    ["experiment_id = '1'", "Invalid attribute key 'experiment_id'"],
    ["metrics.acc LIKE '0.9'", `Invalid comparator 'LIKE' not one of ${NUM}`],
    ['metrics.acc <> 1', "Invalid comparator '<>'"],
    ['metrics.acc == 1', "Invalid comparator '=='"],
    ["params.lr > '0.1'", `Invalid comparator '>' not one of ${STR}`],
    ["tags.team IN ('a')", "Invalid comparator 'IN'"],
    ["start_time LIKE '1%'", "Invalid comparator 'LIKE'"],
    ["status >= 'A'", "Invalid comparator '>='"],
    ['params.lr = 0.1', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.1"],
    ['tags.team = 1', "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
    ['tags.team = vision', 'Parameter value is either not quoted or unidentified quote types used for string value vision'],
    ['params.lr = `0.1`', 'not quoted or unidentified quote types used for string value `0.1`'],
    ['status = FAILED', 'not quoted or unidentified quote types'],
    ['status = 1', 'Expected a quoted string value for attributes. Got value 1'],
    ["metrics.acc > 'x'", "Expected numeric value type for metric. Found 'x'"],
    ['metrics.acc > abc', 'Expected numeric value type for metric. Found abc'],
    ['metrics.acc > "1"', 'Expected numeric value type for metric. Found "1"'],
    ["start_time > 'x'", "Expected numeric value type for numeric attribute: start_time. Found 'x'"],
    ["status IN ('a')", "Only the 'run_id' attribute supports comparison with a list of quoted string values."],
    ["run_id IN 'a1'", 'IN and NOT IN take a parenthesized list'],
    ["run_id = ('a1')", 'IN and NOT IN take a parenthesized list'],
    ['run_id IN ()', 'expected a non-empty list of string values, but got empty list'],
    ["run_id IN ('a', 1)", "but got different type in list: ('a', 1)"],
    ["run_id IN ('a' 'b')", 'but got different type in list'],
    ["run_id IN ('a',)", 'but got different type in list'],
    ["run_id IN ('a'", "Invalid clause(s) in filter string: 'run_id IN ('a''"],
    ['metrics.acc > 1 OR metrics.acc < 0', "Invalid clause(s) in filter string: 'OR metrics.acc < 0'. OR is not supported"],
    ['metrics.acc > 1 AND', "Invalid clause(s) in filter string: 'AND'"],
    ['metrics.acc > 1 metrics.loss < 1', "Invalid clause(s) in filter string: 'metrics.loss < 1'"],
    ['metrics.acc >', "Invalid clause(s) in filter string: 'metrics.acc >'"],
    ['metrics.acc', 'Invalid clause(s) in filter string'],
    ['garbage', "Invalid clause(s) in filter string: 'garbage'"],
    ['= 1', 'Invalid clause(s) in filter string'],
    ['AND metrics.acc > 1', 'Invalid clause(s) in filter string'],
    ['metrics.acc IS NULL', 'Invalid clause(s) in filter string'],
    ["params.lr NOT LIKE 'x'", 'Invalid clause(s) in filter string'],
    ['(metrics.acc > 1)', 'Invalid clause(s) in filter string'],
    ["params.lr = 'abc", "Invalid filter 'params.lr = 'abc'. Could not be parsed: unterminated quote at position 12."],
    ['tags."mlflow.runName = \'x\'', 'unterminated quote at position 5'],
    ['metrics.`acc > 1', 'unterminated quote'],
    ['metrics.acc > 1; DROP TABLE runs', "unexpected character ';' at position 15"],
  ];
  for (const [filter, fragment] of cases) {
    it(JSON.stringify(filter), () => {
      assertMlflowError(() => parseRunFilter(filter), fragment);
      assertMlflowError(() => searchRuns([], { filter, maxResults: 10 }), fragment);
    });
  }

  it('mangled input throws nothing but MlflowError', () => {
    const seeds = [
      "metrics.acc > 0.9 AND params.lr = '0.01'",
      'tags."mlflow.runName" ILIKE \'%a\' and start_time >= 2000',
      "run_id NOT IN ('a1', \"b2\") AND metrics.`f1 score` != -1.5e2",
      "attributes.`Run name` LIKE 'b_ta' AND end_time < 10",
    ];
    const parts = ['.', '"', "'", '`', '(', ')', ',', ' ', '=', '!=', '<>', ' AND ', ' OR ', ' NOT ', ' IN ', '1', '-2.5e3', '%', '\\', ';', 'é', '🙂', 'metrics.', 'x'];
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let parsed = 0;
    for (let n = 0; n < 4000; n++) {
      let s = seeds[rand(seeds.length)]!;
      for (let k = rand(3); k >= 0; k--) {
        const at = rand(s.length + 1);
        s = s.slice(0, at) + (rand(2) ? parts[rand(parts.length)] : '') + s.slice(at + rand(4));
      }
      const attempts = [
        () => RUNS.forEach((r) => runMatches(r, parseRunFilter(s))),
        () => parseExperimentFilter(s),
        () => parseRunOrderBy([s]),
        () => parseExperimentOrderBy([s]),
      ];
      for (const attempt of attempts) {
        try {
          attempt();
          parsed++;
        } catch (e) {
          assert.ok(e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE', `${JSON.stringify(s)} threw ${String(e)}`);
        }
      }
    }
    assert.ok(parsed > 500, `only ${parsed} mangled inputs parsed; the fuzzing exercises little`);
  });
});

describe('run order_by', () => {
  const cases: [string[] | undefined, string[]][] = [
    [undefined, ['b2', 'c3', 'd4', 'a1']],
    [[], ['b2', 'c3', 'd4', 'a1']],
    [['metrics.acc DESC'], ['b2', 'a1', 'c3', 'd4']],
    [['`metrics`.acc asc'], ['d4', 'c3', 'a1', 'b2']],
    // Infinity is a number; NaN follows numbers and a missing metric comes last, both directions
    [['metrics.loss'], ['a1', 'c3', 'b2', 'd4']],
    [['metrics.loss DESC'], ['c3', 'a1', 'b2', 'd4']],
    // equal values fall through to start_time DESC, then run_id ASC
    [['params.lr'], ['c3', 'a1', 'b2', 'd4']],
    [['param.lr desc'], ['b2', 'c3', 'a1', 'd4']],
    [['attributes.end_time DESC'], ['d4', 'c3', 'a1', 'b2']],
    [['end_time'], ['a1', 'c3', 'd4', 'b2']],
    [['start_time ASC'], ['a1', 'c3', 'd4', 'b2']],
    [['created DESC'], ['b2', 'c3', 'd4', 'a1']],
    [['Created'], ['a1', 'c3', 'd4', 'b2']],
    [['tags.team'], ['a1', 'b2', 'c3', 'd4']],
    [['tags."mlflow.runName" DESC'], ['c3', 'd4', 'b2', 'a1']],
    [['metrics.`f1 score`'], ['a1', 'b2', 'c3', 'd4']],
    [['metrics."f1 score" DESC'], ['a1', 'b2', 'c3', 'd4']],
    [['attr.user_id DESC', 'run_id DESC'], ['d4', 'b2', 'c3', 'a1']],
    [['status', 'run.run_name'], ['c3', 'a1', 'd4', 'b2']],
    [['attributes.start_time DESC', 'run_id DESC'], ['b2', 'd4', 'c3', 'a1']],
    [['artifact_uri DESC'], ['a1', 'd4', 'c3', 'b2']],
  ];
  for (const [orderBy, expected] of cases) {
    it(`${JSON.stringify(orderBy)} → [${expected.join(', ')}]`, () => assert.deepEqual(search({ orderBy }), expected));
  }

  it('appends MLflow tie-breakers to the parsed clauses', () => {
    assert.deepEqual(parseRunOrderBy(undefined), [
      { entity: 'attribute', key: 'start_time', ascending: false },
      { entity: 'attribute', key: 'run_id', ascending: true },
    ]);
    assert.deepEqual(parseRunOrderBy(['metrics.acc', 'created']), [
      { entity: 'metric', key: 'acc', ascending: true },
      { entity: 'attribute', key: 'start_time', ascending: true },
      { entity: 'attribute', key: 'run_id', ascending: true },
    ]);
    assert.deepEqual(parseRunOrderBy(['tags.mlflow.runName DESC']).slice(0, 1), [{ entity: 'attribute', key: 'run_name', ascending: false }]);
  });

  it('compareRuns sorts by a parsed ordering', () => {
    assert.deepEqual(ids([...RUNS].sort(compareRuns(parseRunOrderBy(['metrics.acc'])))), ['d4', 'c3', 'a1', 'b2', 'e5']);
  });

  const errors: [string[], string][] = [
    [['metrics.acc DESCENDING'], "Invalid ordering key in order_by clause 'metrics.acc DESCENDING'."],
    [['metrics.f1 score'], 'Invalid ordering key in order_by clause'],
    [['metrics.acc DESC extra'], "Invalid order_by clause 'metrics.acc DESC extra'. Could not be parsed."],
    [[''], "Invalid order_by clause ''. Could not be parsed."],
    [['= 1'], 'Could not be parsed.'],
    [['metrics.acc 1'], 'Could not be parsed.'],
    [['metrics.`acc'], "Invalid order_by clause 'metrics.`acc'. Could not be parsed: unterminated quote"],
    [['foo.bar'], "Invalid entity type 'foo'"],
    [['attributes.bogus'], "Invalid attribute key 'bogus' specified"],
    [['attributes.`run name`'], "Invalid attribute key 'run name' specified"],
    [['metrics.acc', 'metric.acc DESC'], "`order_by` contains duplicate fields: ['metrics.acc', 'metric.acc DESC']"],
    [['start_time', 'created DESC'], '`order_by` contains duplicate fields'],
  ];
  for (const [orderBy, fragment] of errors) {
    it(`rejects ${JSON.stringify(orderBy)}`, () => assertMlflowError(() => searchRuns([], { orderBy, maxResults: 10 }), fragment));
  }
});

describe('run paging and view types', () => {
  // Many ties on start_time and on the metric, and runs missing it, so order depends on every tie-breaker.
  const many = Array.from({ length: 23 }, (_, i) =>
    run(`r${String((i * 7) % 23).padStart(2, '0')}`, {
      start_time: (i % 5) * 100,
      metrics: i % 4 ? { m: i % 3 } : {},
      lifecycle_stage: i % 6 === 5 ? 'deleted' : 'active',
    }),
  );

  for (const orderBy of [undefined, ['metrics.m DESC'], ['metrics.m', 'start_time']]) {
    for (const viewType of ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const) {
      it(`collects every page for ${JSON.stringify(orderBy)} ${viewType}`, () => {
        const full = searchRuns(many, { orderBy, viewType, maxResults: MAX_RESULTS_LIMIT });
        assert.equal(full.nextPageToken, undefined);
        assert.ok(!('nextPageToken' in full));
        assert.ok(full.runs.every((r) => viewType === 'ALL' || (r.lifecycle_stage === 'active') === (viewType === 'ACTIVE_ONLY')));
        for (const maxResults of [1, 2, 3, 5, 7, full.runs.length, full.runs.length + 1]) {
          const got: RunView[] = [];
          let pageToken: string | undefined;
          let pages = 0;
          do {
            const page = searchRuns(many, { orderBy, viewType, maxResults, pageToken });
            assert.ok(page.runs.length <= maxResults);
            got.push(...page.runs);
            pageToken = page.nextPageToken;
            pages++;
          } while (pageToken);
          assert.deepEqual(ids(got), ids(full.runs), `maxResults ${maxResults}`);
          assert.equal(pages, Math.max(1, Math.ceil(full.runs.length / maxResults)));
        }
      });
    }
  }

  it('view types select by lifecycle stage', () => {
    assert.deepEqual(search({}), ['b2', 'c3', 'd4', 'a1']);
    assert.deepEqual(search({ viewType: 'ACTIVE_ONLY' }), ['b2', 'c3', 'd4', 'a1']);
    assert.deepEqual(search({ viewType: 'DELETED_ONLY' }), ['e5']);
    assert.deepEqual(search({ viewType: 'ALL' }), ['e5', 'b2', 'c3', 'd4', 'a1']);
    assert.deepEqual(search({ viewType: 'ALL', filter: "params.lr = '0.01'" }), ['e5', 'c3', 'a1']);
  });

  it('page tokens are MLflow-compatible', () => {
    assert.equal(createPageToken(5), 'eyJvZmZzZXQiOiA1fQ==');
    assert.equal(parsePageToken('eyJvZmZzZXQiOiA1fQ=='), 5);
    assert.equal(parsePageToken(Buffer.from('{"offset": "3"}').toString('base64')), 3);
    assert.equal(parsePageToken(undefined), 0);
    assert.equal(parsePageToken(''), 0);
    const first = searchRuns(RUNS, { maxResults: 2 });
    assert.deepEqual(first, { runs: [RUNS[1], RUNS[2]], nextPageToken: createPageToken(2) });
    assert.deepEqual(searchRuns(RUNS, { maxResults: 2, pageToken: createPageToken(100) }), { runs: [] });
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const badTokens: [string, string][] = [
    ['!!!!', 'Invalid page token, could not base64-decode'],
    ['abc', 'Invalid page token, could not base64-decode'],
    [b64('not json'), 'Invalid page token, decoded value=not json'],
    [b64('{"foo": 1}'), 'Invalid page token, parsed value={"foo": 1}'],
    [b64('{"offset": 0}'), 'Invalid page token, parsed value='],
    [b64('null'), 'Invalid page token, parsed value=null'],
    [b64('{"offset": "x"}'), 'Invalid page token, not stringable "x"'],
    [b64('{"offset": -3}'), 'Invalid page token, not stringable -3'],
    [b64('{"offset": 1.5}'), 'Invalid page token, not stringable 1.5'],
  ];
  for (const [pageToken, fragment] of badTokens) {
    it(`rejects page token ${pageToken}`, () => {
      assertMlflowError(() => searchRuns(RUNS, { maxResults: 1, pageToken }), fragment);
      assertMlflowError(() => searchExperiments([], { maxResults: 1, pageToken }), fragment);
    });
  }

  it('checks max_results', () => {
    assert.equal(MAX_RESULTS_LIMIT, 50000);
    checkMaxResults(1);
    checkMaxResults(50000);
    for (const n of [50001, 0, -1, 1.5, NaN]) {
      assertMlflowError(() => checkMaxResults(n), `Invalid value ${n} for parameter 'max_results' supplied. It must be a positive integer and at most 50000`);
    }
    assertMlflowError(() => searchRuns(RUNS, { maxResults: 0 }), "parameter 'max_results'");
  });
});

describe('experiments', () => {
  const exp = (experiment_id: string, name: string, creation_time: number, last_update_time: number, tags: Record<string, string> = {}, lifecycle_stage: 'active' | 'deleted' = 'active'): ExperimentView =>
    ({ experiment_id, name, creation_time, last_update_time, tags, lifecycle_stage });
  const EXPS = [
    exp('0', 'Default', 100, 500),
    exp('1', 'vision-resnet', 200, 300, { owner: 'ann', 'mlflow.note.content': 'hi' }),
    exp('2', 'NLP bert', 200, 900, { owner: 'Bob' }),
    exp('10', 'vision-vit', 300, 400, { owner: 'ann' }),
    exp('9', 'vision-old', 300, 300),
    exp('3', 'old', 50, 50, {}, 'deleted'),
  ];
  const searchE = (o: Partial<SearchOptions>) => searchExperiments(EXPS, { maxResults: 1000, ...o }).experiments.map((e) => e.experiment_id);

  // Default order: creation_time DESC, experiment_id ASC (numerically): 9, 10, 1, 2, 0.
  const filters: [string | undefined, string[]][] = [
    [undefined, ['9', '10', '1', '2', '0']],
    ["name = 'Default'", ['0']],
    ["attribute.name != 'Default'", ['9', '10', '1', '2']],
    ["name LIKE 'vision%'", ['9', '10', '1']],
    ["name ILIKE 'nlp%'", ['2']],
    ["name like 'nlp%'", []],
    ["name LIKE '%-v_t'", ['10']],
    ['name = "NLP bert"', ['2']],
    ['creation_time > 100', ['9', '10', '1', '2']],
    ['creation_time >= 300', ['9', '10']],
    ['creation_time < 200', ['0']],
    ['creation_time <= 200', ['1', '2', '0']],
    ['creation_time = 200', ['1', '2']],
    ['creation_time != 200', ['9', '10', '0']],
    ['creation_time >= 200 and last_update_time < 500', ['9', '10', '1']],
    ['last_update_time = 900', ['2']],
    ["tags.owner = 'ann'", ['10', '1']],
    ["tag.owner != 'ann'", ['2']],
    ["tags.owner ILIKE 'bob'", ['2']],
    ["tags.owner LIKE 'B%'", ['2']],
    ['tags."mlflow.note.content" = \'hi\'', ['1']],
    ["tags.`mlflow.note.content` LIKE 'h_'", ['1']],
    ["tags.constructor != 'x'", []],
  ];
  for (const [filter, expected] of filters) {
    it(`${JSON.stringify(filter)} → [${expected.join(', ')}]`, () => assert.deepEqual(searchE({ filter }), expected));
  }

  const orders: [string[] | undefined, string[]][] = [
    [['name'], ['0', '2', '9', '1', '10']],
    [['name DESC'], ['10', '1', '9', '2', '0']],
    [['last_update_time DESC'], ['2', '0', '10', '9', '1']],
    [['experiment_id'], ['0', '1', '2', '9', '10']],
    [['attribute.experiment_id DESC'], ['10', '9', '2', '1', '0']],
    // ties fall to experiment_id DESC
    [['creation_time'], ['0', '2', '1', '10', '9']],
    [['last_update_time'], ['9', '1', '10', '0', '2']],
  ];
  for (const [orderBy, expected] of orders) {
    it(`order_by ${JSON.stringify(orderBy)} → [${expected.join(', ')}]`, () => assert.deepEqual(searchE({ orderBy }), expected));
  }

  it('defaults to creation_time DESC, experiment_id ASC', () => {
    assert.deepEqual(parseExperimentOrderBy(undefined), [
      { key: 'creation_time', ascending: false },
      { key: 'experiment_id', ascending: true },
    ]);
    assert.deepEqual(parseExperimentOrderBy(['name']), [
      { key: 'name', ascending: true },
      { key: 'experiment_id', ascending: false },
    ]);
  });

  it('pages and view types', () => {
    const got: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = searchExperiments(EXPS, { maxResults: 2, pageToken, viewType: 'ALL' });
      got.push(...page.experiments.map((e) => e.experiment_id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(got, ['9', '10', '1', '2', '0', '3']);
    assert.deepEqual(searchE({ viewType: 'DELETED_ONLY' }), ['3']);
    assert.deepEqual(searchExperiments(EXPS, { maxResults: 5 }).nextPageToken, undefined);
  });

  const errors: [Partial<SearchOptions>, string][] = [
    [{ filter: "attributes.name = 'x'" }, "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"],
    [{ filter: "params.x = 'a'" }, "Invalid entity type 'params'"],
    [{ filter: "experiment_id = '1'" }, "Invalid attribute key 'experiment_id' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'"],
    [{ filter: "name > 'a'" }, "Invalid comparator '>' not one of '{'=', '!=', 'LIKE', 'ILIKE'}'"],
    [{ filter: "name IN ('a')" }, "Invalid comparator 'IN'"],
    [{ filter: "creation_time LIKE '1'" }, "Invalid comparator 'LIKE' not one of '{'=', '!=', '>', '>=', '<', '<='}'"],
    [{ filter: "creation_time > 'x'" }, "Expected numeric value type for numeric attribute: creation_time. Found 'x'"],
    [{ filter: 'name = 1' }, 'Expected a quoted string value for attributes. Got value 1'],
    [{ filter: "tags.owner > 'a'" }, "Invalid comparator '>'"],
    [{ filter: 'tags.owner = ann' }, 'not quoted or unidentified quote types used for string value ann'],
    [{ filter: "name = 'a' OR name = 'b'" }, 'OR is not supported'],
    [{ filter: "name = 'a" }, 'unterminated quote'],
    [{ orderBy: ['tags.owner'] }, 'Invalid order_by entity: tag'],
    [{ orderBy: ['foo'] }, "Invalid attribute key 'foo' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'"],
    [{ orderBy: ['metrics.x'] }, "Invalid entity type 'metrics'"],
    [{ orderBy: ['name UP'] }, "Invalid ordering key in order_by clause 'name UP'."],
    [{ maxResults: 50001 }, 'Invalid value 50001 for parameter'],
  ];
  for (const [o, fragment] of errors) {
    it(`rejects ${JSON.stringify(o)}`, () => assertMlflowError(() => searchExperiments(EXPS, { maxResults: 10, ...o }), fragment));
  }
});
