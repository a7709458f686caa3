/**
 * A corpus for the value redactor: environment entries and command-line fragments as they are
 * found on real hosts. `secret` lists the text that must not survive; `keep` entries must come out
 * unchanged. The credentials are made up in the formats their issuers document.
 */
export const SECRET_ENTRIES: { entry: string; secret: string }[] = [
  { entry: 'DATABASE_URL=postgres://app:Sup3rS3cret@db/app', secret: 'Sup3rS3cret' },
  { entry: 'REDIS_URL=redis://:p4ssw0rd-redis@cache:6379/0', secret: 'p4ssw0rd-redis' },
  { entry: 'AMQP_URI=amqps://vigil:rabbit-Pa55@mq.internal:5671/vhost', secret: 'rabbit-Pa55' },
  { entry: 'MONGO=mongodb+srv://u:m0ng0-secret@cluster0.example.net/db', secret: 'm0ng0-secret' },
  { entry: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE', secret: 'AKIAIOSFODNN7EXAMPLE' },
  { entry: 'KEYID=AKIAIOSFODNN7EXAMPLE', secret: 'AKIAIOSFODNN7EXAMPLE' },
  { entry: 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', secret: 'wJalrXUtnFEMI' },
  {
    entry: 'GH=ghp_16C7e42F292c6912E7710c838347Ae178B4a',
    secret: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  },
  { entry: 'CI_JOB_TOKEN=glpat-xYz12AbCdEfGhIjKlMnOp', secret: 'glpat-xYz12AbCdEfGhIjKlMnOp' },
  { entry: 'NOTIFY=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx', secret: 'xoxb-1234567890' },
  {
    entry: 'MAPS=AIzaSyA-1234567890abcdefghijklmnopqrstu',
    secret: 'AIzaSyA-1234567890abcdefghijklmnopqrstu',
  },
  { entry: 'PAYMENTS=sk_live_4eC39HqLyjWDarjtT1zdp7dc', secret: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' },
  { entry: 'NPM_CONFIG_REGISTRY_AUTH=npm_abcdefghijklmnopqrstuvwxyz0123456789', secret: 'npm_abcdef' },
  {
    entry:
      'ID=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    secret: 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  },
  { entry: 'CURL_OPTS=-H Authorization: Bearer abc123def456ghi789', secret: 'abc123def456ghi789' },
  { entry: 'HDR=Authorization: Basic dXNlcjpwYXNzd29yZA==', secret: 'dXNlcjpwYXNzd29yZA==' },
  { entry: 'WEBHOOK=https://example.com/hook?token=s3cr3t-query-value&x=1', secret: 's3cr3t-query-value' },
  { entry: 'JAVA_OPTS=-Xmx2g -Ddb.password=hunter2hunter2', secret: 'hunter2hunter2' },
  { entry: 'ARGS=--api-key=Zx81Kq02Lm93Nv47Pb56Rt', secret: 'Zx81Kq02Lm93Nv47Pb56Rt' },
  { entry: 'SERVICE_CONF=seed=Q2xhdWRlIHNheXMgaGkgdG8geW91IQ9x', secret: 'Q2xhdWRlIHNheXMgaGkgdG8geW91IQ9x' },
  { entry: 'INSTALL_ID=8fK2pQ9xLm4vR7tN3wZ6yB1c', secret: '8fK2pQ9xLm4vR7tN3wZ6yB1c' },
  {
    entry: 'TLS_KEY=-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEF-----END PRIVATE KEY-----',
    secret: 'MIIEvQ',
  },
  { entry: 'GITHUB_TOKEN=short', secret: 'short' },
  { entry: 'PGPASSWORD=hunter2', secret: 'hunter2' },
  { entry: 'SESSION_COOKIE=abc', secret: 'abc' },
];

export const KEEP_ENTRIES: string[] = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/root',
  'LANG=C.UTF-8',
  'TERM=xterm-256color',
  'LD_PRELOAD=/tmp/x.so',
  'HOSTNAME=web-7f9c6d8b5-x2k4q',
  'KUBERNETES_SERVICE_HOST=10.96.0.1',
  'KUBERNETES_PORT=tcp://10.96.0.1:443',
  'NODE_VERSION=20.11.1',
  'GIT_COMMIT=9fceb02d0ae598e95dc970b74767f19372d61af8',
  'CONTAINER_ID=4f66ad9a0b2e5f3c8d1e7a6b9c0d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d',
  'REQUEST_ID=123e4567-e89b-12d3-a456-426614174000',
  'PYTHONPATH=/app/src:/app/lib/python3.11/site-packages',
  'JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64',
  'DB_HOST=postgres.default.svc.cluster.local',
  'APP_URL=https://shop.example.com/checkout',
  'MALLOC_ARENA_MAX=2',
  'SHLVL=1',
  'OLDPWD=/home/deploy/releases/20261207',
  'GOFLAGS=-mod=vendor -trimpath',
  'HISTFILE=/dev/null',
];
