#!/usr/bin/env bash
# Deploys the Stagecoach stack to LocalStack with cdklocal (the CDK CLI pointed at LocalStack).
#   localstack/deploy.sh [env]      (default env: dev)
# Requires: LocalStack running (localstack/docker-compose.yml), `npm ci` done. The full stack needs
# LocalStack's paid plan for API Gateway v2 and ECS; on the free plan, run the dev runtime against
# LocalStack instead: AWS_ENDPOINT_URL=http://localhost:4566 npx stagecoach dev --backend endpoint
set -euo pipefail
cd "$(dirname "$0")/.."

env_name="${1:-dev}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

if ! curl -sf "$AWS_ENDPOINT_URL/_localstack/health" > /dev/null; then
  echo "LocalStack does not answer at $AWS_ENDPOINT_URL. Start it: docker compose -f localstack/docker-compose.yml up -d" >&2
  exit 1
fi

# cdklocal wraps the project's pinned aws-cdk CLI (npm ls aws-cdk); pin it too.
cdklocal=(npx --yes aws-cdk-local@3.0.4)
"${cdklocal[@]}" bootstrap -c env="$env_name"
"${cdklocal[@]}" deploy -c env="$env_name" --require-approval never --outputs-file "localstack/outputs-$env_name.json"
echo "Outputs written to localstack/outputs-$env_name.json"
