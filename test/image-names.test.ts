// Docker Hub short names, written out as docker reads them, for podman (which refuses a short name
// it cannot resolve without a terminal to ask on).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { qualifyImage } from '../src/agent/environments/engines.ts';

describe('image names for podman', () => {
  it('qualifies Docker Hub short names as docker does', () => {
    assert.equal(qualifyImage('python:3.11'), 'docker.io/library/python:3.11');
    assert.equal(qualifyImage('ubuntu'), 'docker.io/library/ubuntu');
    assert.equal(qualifyImage('pytorch/pytorch'), 'docker.io/pytorch/pytorch');
    assert.equal(qualifyImage('pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime'), 'docker.io/pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime');
    assert.equal(qualifyImage(`python@sha256:${'a'.repeat(64)}`), `docker.io/library/python@sha256:${'a'.repeat(64)}`);
  });

  it('leaves names that already say their registry as they are', () => {
    for (const ref of ['docker.io/library/python:3.11', 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04', 'localhost/cairn-test-python:1', 'localhost:5000/team/img:1', 'registry.example.com:443/a/b']) {
      assert.equal(qualifyImage(ref), ref);
    }
  });
});
