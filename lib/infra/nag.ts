import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements. Each one is recorded on the narrowest construct it concerns, with the
 * reason it is acceptable; wildcard findings are acknowledged one resource string at a time, so a
 * new wildcard added later is reported again.
 */

/** Acknowledges one AwsSolutions rule on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/**
 * Acknowledges the IAM5 finding for one wildcard resource, given as it appears in a policy
 * (tokens allowed, e.g. `${bucket.bucketArn}/*`).
 */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** Acknowledges the IAM5 finding for a wildcard action (e.g. `xray:Put*`). */
export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

/**
 * Renders a resolved CloudFormation value the way cdk-nag names wildcard findings:
 * `{"Fn::GetAtt":["Bucket","Arn"]}` → `<Bucket.Arn>`, `{"Ref":"X"}` → `<X>`, joins concatenated.
 */
export function flattenReference(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value !== 'object') return JSON.stringify(value);
  const [key, arg] = Object.entries(value)[0] ?? ['', undefined];
  if (key === 'Fn::Join' && Array.isArray(arg)) {
    const [delimiter, items] = arg;
    return Array.isArray(items) ? items.map(flattenReference).join(String(delimiter)) : '';
  }
  if (key === 'Fn::Sub' || key === 'Fn::ImportValue') return flattenReference(arg);
  if (key === 'Fn::GetAtt' && Array.isArray(arg))
    return `<${flattenReference(arg[0])}.${flattenReference(arg[1])}>`;
  if (key === 'Ref') return `<${flattenReference(arg)}>`;
  return JSON.stringify(value);
}
