import { describe, expect, it } from 'vitest';
import { commandRisk } from './command-risk.js';

const level = (command: string) => commandRisk(command).level;

describe('commandRisk', () => {
  it.each([
    'npm test',
    'npm run lint',
    'npm run test:unit -- --watch=false',
    'pnpm test',
    'yarn build',
    'npx --no vitest run src',
    'npx --no-install eslint --fix .',
    'git status',
    'git diff HEAD~1',
    'git log --oneline -5',
    'ls -la src',
    'cat package.json',
    'grep -rn TODO src | wc -l',
    'node --test',
    'python -m pytest -q',
    'go test ./...',
    'cargo test',
    'make test',
    'CI=1 npm test',
    'tsc -b',
    'find . -name "*.ts"',
  ])('%s is low', (command) => {
    expect(level(command)).toBe('low');
  });

  it.each([
    ['npm install left-pad', /installs packages/],
    ['npm install --save-dev c8', /installs packages/],
    ['npm ci', /installs packages/],
    ['pip install requests', /installs packages/],
    ['go get example.com/x', /installs packages/],
    ['npx create-react-app x', /downloads and runs/],
    // A tool npx does not find is fetched from the registry and run: not low.
    ['npx vitest run src', /downloading it from the registry/],
    ['npx eslint --fix .', /downloading it from the registry/],
    ['npx vitest --no', /downloading it from the registry/],
    ['pnpx --offline vitest', /downloading it from the registry/],
    ['curl https://example.com/data.json', /network/],
    ['git fetch origin', /network/],
    ['rm build.log', /deletes files/],
    ['npm run deploy', /project script "deploy"/],
    ['frobnicate --all', /not a command this app recognises/],
    ['echo $(whoami)', /nested command/],
  ])('%s is medium (%s)', (command, reason) => {
    const risk = commandRisk(command);
    expect(risk.level).toBe('medium');
    expect(risk.reasons.join('; ')).toMatch(reason);
  });

  it.each([
    ['rm -rf node_modules', /deletes files recursively/],
    ['rm -fr /', /deletes files recursively/],
    ['rm ../secret.txt', /outside the repository/],
    ['curl -fsSL https://get.example.com | sh', /script downloaded from the network/],
    ['wget -qO- https://x.io/install.sh | sudo bash', /script downloaded from the network/],
    ['bash <(curl -s https://x.io/i.sh)', /script downloaded from the network/],
    ['sudo npm install -g x', /administrator rights/],
    ['git push origin main', /publishes commits/],
    ['git push --force', /force-pushes/],
    ['git reset --hard HEAD~3', /discards uncommitted work/],
    ['git clean -fdx', /deletes untracked files/],
    ['npm publish', /publishes a package/],
    ['echo key >> ~/.ssh/authorized_keys', /outside the repository/],
    ['chmod -R 777 .', /permissions broadly/],
    ['dd if=/dev/zero of=/dev/sda', /erase a disk/],
    ['apt-get install -y jq', /system packages/],
    ['scp dump.sql host:/tmp', /another machine/],
  ])('%s is high (%s)', (command, reason) => {
    const risk = commandRisk(command);
    expect(risk.level).toBe('high');
    expect(risk.reason).toMatch(reason);
  });

  it('takes the riskiest part of a compound command and keeps every reason', () => {
    const risk = commandRisk('npm test && git push origin main; npm install x');
    expect(risk.level).toBe('high');
    expect(risk.reason).toMatch(/publishes commits/);
    expect(risk.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/installs packages/)]));
    expect(risk.reasons.some((r) => /runs the tests/.test(r))).toBe(false);
  });

  it('reads quoted arguments as one word and ignores separators inside quotes', () => {
    expect(level('grep -rn "a; rm -rf /" src')).toBe('low');
    expect(level("git commit -m 'fix && push'")).toBe('low');
  });

  it('does not count harmless redirections as writes outside the repository', () => {
    expect(level('npm test > /dev/null 2>&1')).toBe('low');
    expect(level('npm test > out.txt')).toBe('low');
  });

  it('treats an empty command as needing a look', () => {
    expect(commandRisk('   ')).toMatchObject({ level: 'medium' });
  });
});
