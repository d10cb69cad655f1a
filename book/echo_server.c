#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>


#define BUF_SIZE 1024
void errorHandling(char* message);

int main (int argc , char *argv[]) {

        int servSock , clientSock;
        char message[BUF_SIZE];
        int strLen , i;

        struct sockaddr_in servAddr , clientAddr;
        socklen_t clientAddrSz;

        if(argc != 2) {
                printf("Usage : %s <port> \n" , argv[0]);
                exit(1);
        }

        servSock = socket(PF_INET, SOCK_STREAM, 0);
        if(servSock == -1) {
                errorHandling("socket() error!");
        }

        // 서버 addr  초기화
        memset(&servAddr , 0  , sizeof(servAddr));
        servAddr.sin_family = AF_INET;
        servAddr.sin_addr.s_addr = htonl(INADDR_ANY);
        servAddr.sin_port = htons(atoi(argv[1]));

        if(bind(servSock , (struct sockaddr*) &servAddr , sizeof(servAddr)) == -1)
                errorHandling("bind() error!");


        if(listen(servSock , 5) == -1) {
                errorHandling("listen() error!");
        }


        clientAddrSz = sizeof(clientAddr);

        for(i = 0; i < 5;i++) {
                clientSock = accept(servSock , (struct sockaddr*) &clientAddr , &clientAddrSz);

                if(clientSock == -1)
                        errorHandling("accpet() ERROR!");
                else
                        printf("connected client %d \n" , i + 1);

                while((strLen = read(clientSock , message , BUF_SIZE)) != 0) {
                        printf("Message from client : %s" , message);
                        write(clientSock , message, strLen);
                }

                close(clientSock);
        }
        close(servSock);
        return 0;
}

void errorHandling(char* message) {
        fputs(message , stderr);
        fputc('\n' , stderr);
        exit(1);
}
