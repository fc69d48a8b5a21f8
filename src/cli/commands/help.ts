/**
 * The top-level commands as `cairn --help` lists them. `cairn` loads only the module of the command
 * it runs (src/cli/commands/index.ts); the others appear in the help from this table alone, so a
 * command starts without loading what every other command needs. `term` is how the listing shows
 * the command's usage (test/install.test.ts checks both against the commands themselves).
 */
export const COMMAND_HELP = {
  job: { term: 'job', description: 'submit and follow jobs (az ml job)' },
  run: { term: 'run [options] <command...>', description: 'run a command from the current folder as a job: cairn run -- python train.py --lr 0.1' },
  compute: {
    term: 'compute',
    description:
      'compute targets (az ml compute): the built-in local compute, autoscaling compute clusters and compute instances on node providers, and machines attached over SSH',
  },
  environment: {
    term: 'environment',
    description:
      "registered environments (az ml environment): how a job's Python and packages are prepared on its node. " +
      'A conda_file is built with conda, mamba or micromamba when the node has one, else with venv+pip from a python on the node that matches (when the file asks only for python and pip packages); ' +
      'an image runs with docker or podman on the node (with a conda_file, its packages are installed on top); build.path is a folder with a Dockerfile, uploaded and built with docker or podman on the node. ' +
      "Each is prepared once per content hash and cached on the node. An environment with none of these runs with the node's own Python. " +
      'Jobs name one with environment: azureml:NAME:VERSION or NAME@latest',
  },
  component: {
    term: 'component',
    description:
      'registered command components (az ml component): a command with typed inputs (string, integer, number, boolean, uri_file, uri_folder, mltable, custom_model, mlflow_model; ' +
      'optional or with defaults) and outputs, its code folder and its environment, for pipeline steps to use. ' +
      'Versions never change, the same content again answers with its version; only type: command components are supported',
  },
  data: {
    term: 'data',
    description:
      'data assets (az ml data): versioned uri_file, uri_folder and mltable content from a local path (uploaded, only what the server lacks), a datastore path, another job\'s output or an http(s) URL; ' +
      'versions never change, the same content again answers with its version; jobs read one with path: azureml:NAME:VERSION or azureml:NAME@latest',
  },
  model: {
    term: 'model',
    description:
      "models (az ml model): versioned custom_model and mlflow_model content from a local path, a job's output (azureml://jobs/JOB/outputs/NAME) or an MLflow run (runs:/RUN/PATH); the MLflow model registry shows the same models",
  },
  datastore: {
    term: 'datastore',
    description: "datastores (az ml datastore): a folder on the server, an SFTP location or an S3-compatible bucket that inputs read from and outputs write to (azureml://datastores/NAME/paths/PATH); workspaceblobstore is built in",
  },
  studio: {
    term: 'studio [options]',
    description: "print the web studio's address on the server the other commands use (starting the local one if needed) and open it in a browser when there is a display",
  },
  server: { term: 'server [options]', description: 'run the Cairn server in the foreground (SQLite and local compute by default)' },
} as const;

export type CommandName = keyof typeof COMMAND_HELP;
