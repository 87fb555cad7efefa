// The Cognito identity of aws-lambda-java-core.
package com.amazonaws.services.lambda.runtime;

public interface CognitoIdentity {
    String getIdentityId();
    String getIdentityPoolId();
}
