import { describe, expect, it } from 'vitest';
import { manifestFacts } from '../../src/crawl/manifests.js';

describe('manifestFacts', () => {
  it('reads what package.json ships with, not its dev tools', () => {
    const text = JSON.stringify({ bin: { tool: 'index.js' }, dependencies: { '@modelcontextprotocol/sdk': '^1', openai: '^5' }, peerDependencies: { zod: '*' }, devDependencies: { playwright: '*' } });
    expect(manifestFacts('package.json', text)).toBe('package.json: depends on @modelcontextprotocol/sdk, openai, zod; installs a command-line program');
  });

  it('reads PEP 621 and Poetry dependencies from pyproject.toml, not extras or dev groups', () => {
    const pep621 = '[project]\nname = "x"\ndependencies = [\n  "langgraph>=0.2",  # agents\n  "httpx[http2]~=0.27",\n]\n[project.optional-dependencies]\ndev = ["pytest"]\n[project.scripts]\nx = "x:main"\n';
    expect(manifestFacts('pyproject.toml', pep621)).toBe('pyproject.toml: depends on langgraph, httpx; installs a command-line program');
    const poetry = '[tool.poetry.dependencies]\npython = "^3.11"\ncrewai = "^0.80"\n[tool.poetry.group.dev.dependencies]\npytest = "*"\n';
    expect(manifestFacts('pyproject.toml', poetry)).toBe('pyproject.toml: depends on crewai');
  });

  it('reads requirement names from requirements.txt', () => {
    expect(manifestFacts('requirements.txt', '# core\nanthropic>=0.40\n-r base.txt\ne2b-code-interpreter==1.0 ; python_version > "3.9"\n\n')).toBe('requirements.txt: depends on anthropic, e2b-code-interpreter');
  });

  it('reads the base image, exposed ports and user of a Dockerfile', () => {
    expect(manifestFacts('Dockerfile', 'FROM node:20-slim AS build\nRUN npm ci\nFROM gcr.io/distroless/nodejs20\nEXPOSE 8080 9090\nUSER nonroot\n')).toBe(
      'Dockerfile: builds a container image from node:20-slim, gcr.io/distroless/nodejs20; exposes port 8080, 9090; runs as user nonroot',
    );
    expect(manifestFacts('Dockerfile', 'FROM python:3.12\nCMD ["python", "app.py"]')).toBe('Dockerfile: builds a container image from python:3.12; runs as root (no USER)');
  });

  it('reads a repository’s own server.json like a registry entry', () => {
    const server = JSON.stringify({ name: 'io.github.a/b', packages: [{ registryType: 'npm', identifier: 'b-mcp', transport: { type: 'stdio' }, environmentVariables: [{ name: 'B_TOKEN', isSecret: true }] }] });
    expect(manifestFacts('server.json', server)).toBe('server.json: publishes an MCP server io.github.a/b; packages: npm b-mcp (transport stdio); environmentVariables: B_TOKEN (secret)');
  });

  it('gives nothing for unparsable or empty manifests', () => {
    expect(manifestFacts('package.json', '{ not json')).toBeNull();
    expect(manifestFacts('package.json', '{}')).toBeNull();
    expect(manifestFacts('requirements.txt', '# nothing\n')).toBeNull();
  });
});
